using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Devices;

/// <summary>
/// Brings one device's configuration to the desired values: per module, read the configuration, push only the
/// registers that differ with CONFIG_SET and the version just read, and on VERSION_CONFLICT (someone else changed it
/// meanwhile) read again and retry.
/// </summary>
public static class ConfigReconciler
{
    /// <summary>Reconciles one device.</summary>
    /// <param name="client">The device's client.</param>
    /// <param name="desired">Desired values by slot and register.</param>
    /// <param name="maxAttemptsPerSlot">CONFIG_SET attempts per slot before giving up on conflicts (default 5).</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The outcome: in sync with the versions, or failed with the reason.</returns>
    public static async Task<ConfigSyncStatus> ReconcileAsync(
        McpClient client,
        IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>> desired,
        int maxAttemptsPerSlot = 5,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttemptsPerSlot, 1);
        var versions = new Dictionary<byte, uint>();
        int conflicts = 0;
        foreach ((byte slot, IReadOnlyDictionary<ushort, int> registers) in desired.OrderBy(s => s.Key))
        {
            int attempt = 0;
            uint? written = null; // the version our last CONFIG_SET on this slot made
            while (true)
            {
                ConfigSnapshot snapshot;
                try
                {
                    snapshot = await client.ConfigGetAsync(slot, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (FrameConnectionException ex)
                {
                    return Failed(versions, conflicts, $"slot {slot}: CONFIG_GET failed: {ex.Message}");
                }

                versions[slot] = snapshot.Version;
                var current = snapshot.Entries.ToDictionary(e => e.Register, e => e.Value);
                ConfigEntry[] changes = [.. registers
                    .Where(r => !current.TryGetValue(r.Key, out int value) || value != r.Value)
                    .OrderBy(r => r.Key)
                    .Select(r => new ConfigEntry(r.Key, r.Value))];
                if (changes.Length == 0)
                {
                    break;
                }

                if (snapshot.Version == written)
                {
                    // Nobody wrote after us, yet the values differ: the device took the CONFIG_SET and stored other
                    // values (for example clamped to the register's range). Writing again would change nothing.
                    string kept = string.Join(", ", changes.Select(c =>
                        $"register {c.Register}: wrote {c.Value}, device has {(current.TryGetValue(c.Register, out int v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "nothing")}"));
                    return Failed(versions, conflicts, $"slot {slot}: the device accepted CONFIG_SET but keeps other values ({kept}); the desired values are outside what the module stores");
                }

                if (++attempt > maxAttemptsPerSlot)
                {
                    return Failed(versions, conflicts, $"slot {slot}: still VERSION_CONFLICT after {maxAttemptsPerSlot} attempts");
                }

                try
                {
                    versions[slot] = await client.ConfigSetAsync(slot, snapshot.Version, changes, cancellationToken: cancellationToken).ConfigureAwait(false);
                    written = versions[slot];
                }
                catch (RemoteStatusException conflict) when (conflict.Status == (byte)McpStatus.VersionConflict)
                {
                    conflicts++; // changed by someone else since our read: read again and retry
                }
                catch (FrameConnectionException ex)
                {
                    return Failed(versions, conflicts, $"slot {slot}: CONFIG_SET of {changes.Length} registers failed: {ex.Message}");
                }
                catch (ArgumentException ex)
                {
                    // Refused before sending: more registers differ than one frame carries. CONFIG_GET lists a module's
                    // whole configuration in one frame of the same size, so such a module cannot exist on this link:
                    // the desired configuration names registers the module does not have.
                    return Failed(versions, conflicts, $"slot {slot}: {changes.Length} registers differ, more than one CONFIG_SET can carry on this link ({ex.Message}); the desired configuration names registers the module does not have");
                }
            }
        }

        return new ConfigSyncStatus(ConfigSyncState.InSync, versions, null, conflicts);
    }

    private static ConfigSyncStatus Failed(Dictionary<byte, uint> versions, int conflicts, string error) =>
        new(ConfigSyncState.Failed, versions, error, conflicts);
}
