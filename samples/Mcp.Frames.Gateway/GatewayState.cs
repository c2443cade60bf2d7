using Mcp.Frames.Devices;

namespace Mcp.Frames.Gateway;

/// <summary>What the HTTP endpoints read: the running registry, once the gateway has started.</summary>
public sealed class GatewayState
{
    private DeviceRegistry? _registry;

    /// <summary>The registry; <see langword="null"/> before start.</summary>
    public DeviceRegistry? Registry
    {
        get => Volatile.Read(ref _registry);
        set => Volatile.Write(ref _registry, value);
    }

    /// <summary>The configuration sync service, if a desired configuration is set.</summary>
    public ConfigSyncService? ConfigSync { get; set; }

    /// <summary>The embedded demo device's endpoint, when the gateway runs one.</summary>
    public string? EmbeddedDevice { get; set; }
}
