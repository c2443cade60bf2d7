using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Devices;

/// <summary>One link of a <see cref="DeviceRegistry"/>: how to reach the device and what to watch on it.</summary>
public sealed class DeviceLinkOptions
{
    /// <summary>Opens the link (TCP, TLS, serial…).</summary>
    public required ITransportConnector Connector { get; init; }

    /// <summary>The session's settings (connection, backoff…); the registry sets the clock and logger from its own.</summary>
    public McpSessionOptions Session { get; init; } = new();

    /// <summary>Registers to keep live copies of.</summary>
    public IReadOnlyList<WatchSpec> Watches { get; init; } = [];
}
