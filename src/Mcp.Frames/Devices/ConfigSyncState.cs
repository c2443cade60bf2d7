namespace Mcp.Frames.Devices;

/// <summary>Where a device's configuration stands against the desired configuration.</summary>
public enum ConfigSyncState
{
    /// <summary>No desired configuration names this device.</summary>
    NotConfigured,

    /// <summary>A reconcile is due or running.</summary>
    Pending,

    /// <summary>The device holds the desired values.</summary>
    InSync,

    /// <summary>The last reconcile failed; see the error.</summary>
    Failed,
}
