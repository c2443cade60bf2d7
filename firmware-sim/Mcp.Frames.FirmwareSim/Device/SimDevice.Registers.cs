using Mcp.Frames.FirmwareSim.Modules;
using Mcp.Frames.FirmwareSim.Persistence;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Device;

/// <content>READ, WRITE and CONFIG_SET semantics (PROTOCOL.md §2.3), shared by every link and by the embedding API.</content>
public sealed partial class SimDevice
{
    /// <summary>READ: <paramref name="count"/> consecutive registers from <paramref name="first"/>, all defined and readable.</summary>
    internal Outcome Read(byte slot, ushort first, int count, Span<int> destination)
    {
        lock (_state)
        {
            Outcome check = CheckReadable(slot, first, count, out SimModule? module);
            if (!check.IsOk)
            {
                return check;
            }

            for (int i = 0; i < count; i++)
            {
                ushort address = (ushort)(first + i);
                module!.TryGetRegister(address, out SimRegister? register);
                destination[i] = register!.IsConfig ? module.ReadConfig(address) : module.DeviceRead(address);
            }

            return Outcome.Ok;
        }
    }

    /// <summary>Checks that a READ or SUBSCRIBE names a module and readable registers only.</summary>
    internal Outcome CheckReadable(byte slot, ushort first, int count, out SimModule? module)
    {
        if (!_modules.TryGetValue(slot, out module))
        {
            return Outcome.Fail(McpStatus.NoSuchModule, $"no module in slot {slot}");
        }

        for (int i = 0; i < count; i++)
        {
            int address = first + i;
            if (address > ushort.MaxValue || !module.TryGetRegister((ushort)address, out SimRegister? register))
            {
                return Outcome.Fail(McpStatus.NoSuchRegister, $"register {address} is not defined in slot {slot} ({module.Name})");
            }

            if (!register.IsReadable)
            {
                // No status says "write-only"; the request names a register it may not read, so it is out of range.
                return Outcome.Fail(McpStatus.BadRequest, $"register {address} ({register.Name}) of slot {slot} is write-only");
            }
        }

        return Outcome.Ok;
    }

    /// <summary>WRITE: all values are checked first; nothing is written unless every one is valid.</summary>
    internal Outcome Write(byte slot, ushort first, ReadOnlySpan<int> values)
    {
        lock (_state)
        {
            if (!_modules.TryGetValue(slot, out SimModule? module))
            {
                return Outcome.Fail(McpStatus.NoSuchModule, $"no module in slot {slot}");
            }

            for (int i = 0; i < values.Length; i++)
            {
                int address = first + i;
                if (address > ushort.MaxValue || !module.TryGetRegister((ushort)address, out SimRegister? register))
                {
                    return Outcome.Fail(McpStatus.NoSuchRegister, $"register {address} is not defined in slot {slot} ({module.Name})");
                }

                if (!register.IsWritable)
                {
                    string what = register.IsConfig ? "a configuration register (change it with CONFIG_SET)" : "read-only";
                    return Outcome.Fail(McpStatus.ReadOnly, $"register {address} ({register.Name}) of slot {slot} is {what}");
                }

                if (module.DeviceValidateWrite((ushort)address, values[i]) is { } problem)
                {
                    return Outcome.Fail(McpStatus.BadRequest, $"register {address} ({register.Name}) of slot {slot}: {problem}");
                }
            }

            for (int i = 0; i < values.Length; i++)
            {
                module.DeviceWrite((ushort)(first + i), values[i]);
            }

            return Outcome.Ok;
        }
    }

    /// <summary>Values for an EVENT (registers were checked at SUBSCRIBE and modules never change).</summary>
    internal void ReadForEvent(SimModule module, ushort first, Span<int> destination)
    {
        lock (_state)
        {
            for (int i = 0; i < destination.Length; i++)
            {
                ushort address = (ushort)(first + i);
                module.TryGetRegister(address, out SimRegister? register);
                destination[i] = register!.IsConfig ? module.ReadConfig(address) : module.DeviceRead(address);
            }
        }
    }

    /// <summary>
    /// CONFIG_SET: checks every entry (NO_SUCH_REGISTER, BAD_REQUEST), then the version (VERSION_CONFLICT), stores the new
    /// configuration durably, and only then applies it. Nothing changes unless everything succeeds.
    /// </summary>
    internal async Task<(Outcome Outcome, uint Version)> ConfigSetAsync(byte slot, uint? expectedVersion, IReadOnlyList<ConfigEntry> entries, CancellationToken cancellationToken)
    {
        await _configGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SimModule? module;
            uint newVersion;
            Dictionary<byte, StoredModuleConfig> whole;
            lock (_state)
            {
                if (!_modules.TryGetValue(slot, out module))
                {
                    return (Outcome.Fail(McpStatus.NoSuchModule, $"no module in slot {slot}"), 0);
                }

                foreach (ConfigEntry entry in entries)
                {
                    if (!module.TryGetRegister(entry.Register, out SimRegister? register))
                    {
                        return (Outcome.Fail(McpStatus.NoSuchRegister, $"register {entry.Register} is not defined in slot {slot} ({module.Name})"), 0);
                    }

                    if (!register.IsConfig)
                    {
                        return (Outcome.Fail(McpStatus.NoSuchRegister, $"register {entry.Register} ({register.Name}) of slot {slot} is not a configuration register"), 0);
                    }

                    if (module.DeviceValidateConfig(entry.Register, entry.Value) is { } problem)
                    {
                        return (Outcome.Fail(McpStatus.BadRequest, $"register {entry.Register} ({register.Name}) of slot {slot}: {problem}"), 0);
                    }
                }

                uint current = _configVersions[slot];
                if (expectedVersion is { } expected && expected != current)
                {
                    return (Outcome.Fail(McpStatus.VersionConflict, $"slot {slot} configuration is at version {current}, not {expected}"), 0);
                }

                newVersion = unchecked(current + 1);
                whole = SnapshotAll();
                var values = new Dictionary<ushort, int>(whole[slot].Values);
                foreach (ConfigEntry entry in entries)
                {
                    values[entry.Register] = entry.Value; // incremental: only the listed registers change; a repeated one takes its last value
                }

                whole[slot] = new StoredModuleConfig(newVersion, values);
            }

            try
            {
                // PROTOCOL.md §2.3: OK only once the configuration is durably stored.
                _store.Save(whole, DeviceId);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SimLog.ConfigStoreFailed(_logger, slot, ex);
                return (Outcome.Fail(McpStatus.InternalError, $"the configuration could not be stored: {ex.Message}"), 0);
            }

            lock (_state)
            {
                foreach (ConfigEntry entry in entries)
                {
                    module.ApplyConfig(entry.Register, entry.Value);
                }

                _configVersions[slot] = newVersion;
            }

            SimLog.ConfigChanged(_logger, slot, newVersion, entries.Count);
            return (Outcome.Ok, newVersion);
        }
        finally
        {
            _configGate.Release();
        }
    }

    /// <summary>CONFIG_GET's answer for a slot, or NO_SUCH_MODULE.</summary>
    internal Outcome TryGetConfig(byte slot, out ConfigSnapshot? snapshot)
    {
        lock (_state)
        {
            if (!_modules.TryGetValue(slot, out SimModule? module))
            {
                snapshot = null;
                return Outcome.Fail(McpStatus.NoSuchModule, $"no module in slot {slot}");
            }

            snapshot = Snapshot(module);
            return Outcome.Ok;
        }
    }

    private Dictionary<byte, StoredModuleConfig> SnapshotAll()
    {
        var all = new Dictionary<byte, StoredModuleConfig>();
        foreach (SimModule module in _ordered)
        {
            var values = new Dictionary<ushort, int>();
            foreach (SimRegister register in module.Registers)
            {
                if (register.IsConfig)
                {
                    values[register.Address] = module.ReadConfig(register.Address);
                }
            }

            all[module.Slot] = new StoredModuleConfig(_configVersions[module.Slot], values);
        }

        return all;
    }
}
