namespace Mcp.Frames.Devices;

/// <summary>A device's configuration sync state.</summary>
/// <param name="State">The state.</param>
/// <param name="Versions">The device's configuration version per slot, as last read or written.</param>
/// <param name="Error">Why the last reconcile failed, if it did.</param>
/// <param name="Conflicts">VERSION_CONFLICT answers met (and resolved by re-reading) so far.</param>
public sealed record ConfigSyncStatus(ConfigSyncState State, IReadOnlyDictionary<byte, uint> Versions, string? Error, int Conflicts)
{
    /// <summary>The status of a device no desired configuration names.</summary>
    public static ConfigSyncStatus NotConfigured { get; } = new(ConfigSyncState.NotConfigured, new Dictionary<byte, uint>(), null, 0);

    /// <summary>The highest configuration version over the device's modules (0 when none is known).</summary>
    public uint Version => Versions.Count == 0 ? 0 : Versions.Values.Max();
}
