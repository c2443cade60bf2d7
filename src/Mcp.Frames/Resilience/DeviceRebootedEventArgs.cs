using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Resilience;

/// <summary>A device answered HELLO with a new <c>bootId</c>: it restarted and lost its subscriptions.</summary>
/// <param name="previous">The identity before.</param>
/// <param name="current">The identity now.</param>
public sealed class DeviceRebootedEventArgs(DeviceInfo previous, DeviceInfo current) : EventArgs
{
    /// <summary>The identity from the session before.</summary>
    public DeviceInfo Previous { get; } = previous;

    /// <summary>The identity from the new session.</summary>
    public DeviceInfo Current { get; } = current;
}
