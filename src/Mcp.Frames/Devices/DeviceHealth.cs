namespace Mcp.Frames.Devices;

/// <summary>How a device on a link is doing.</summary>
public enum DeviceHealth
{
    /// <summary>The link is down, or the device has not answered HELLO yet.</summary>
    Offline,

    /// <summary>Connected, but heartbeats are missed or too many requests fail.</summary>
    Degraded,

    /// <summary>Connected and answering.</summary>
    Healthy,
}
