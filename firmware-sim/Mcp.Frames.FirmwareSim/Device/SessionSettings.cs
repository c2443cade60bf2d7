using Mcp.Frames.FirmwareSim.Faults;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>What every session of a host shares.</summary>
internal sealed class SessionSettings
{
    public required SimDevice Device { get; init; }

    public required FaultController Faults { get; init; }

    public required SimRequestLog Log { get; init; }

    public required Func<Task> RequestReboot { get; init; }

    public required ILogger Logger { get; init; }

    public int MaxSubscriptionsPerLink { get; init; } = 32;

    public int EventQueueCapacity { get; init; } = 256;
}
