using System.Device.Gpio;
using System.Security.Cryptography;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Modules;
using Mcp.Frames.FirmwareSim.Persistence;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>
/// The state of one simulated device, shared by every link it serves: identity, boot id and uptime, the modules and
/// their registers, and the persisted configuration. Also the embedding API to read and set values from a test.
/// </summary>
/// <remarks>
/// All register access happens under one lock, so a READ of several registers and a WRITE of several (all or nothing,
/// PROTOCOL.md §2.3) are atomic with respect to each other, whatever link they come from. CONFIG_SET is serialized by a
/// second, asynchronous gate that is held while the new configuration is stored.
/// </remarks>
public sealed partial class SimDevice : IDisposable
{
    private readonly Lock _state = new();
    private readonly SemaphoreSlim _configGate = new(1, 1);
    private readonly Dictionary<byte, SimModule> _modules = [];
    private readonly SimModule[] _ordered;
    private readonly Dictionary<byte, uint> _configVersions = [];
    private readonly ConfigStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private uint _bootId;
    private long _bootTimestamp;
    private int _bootCount;

    private SimDevice(DeviceDefinition definition, SimModule[] modules, ConfigStore store, TimeProvider time, ILogger logger)
    {
        DeviceId = definition.DeviceId;
        Firmware = definition.Firmware;
        MaxPayload = definition.MaxPayload;
        _ordered = modules;
        _store = store;
        _time = time;
        _logger = logger;
        foreach (SimModule module in modules)
        {
            _modules[module.Slot] = module;
            _configVersions[module.Slot] = 0;
        }
    }

    /// <summary>The device's id.</summary>
    public string DeviceId { get; }

    /// <summary>The firmware version.</summary>
    public Version Firmware { get; }

    /// <summary>The device's own payload limit (what HELLO reports).</summary>
    public int MaxPayload { get; }

    /// <summary>The modules, in definition order (the order HELLO lists them).</summary>
    public IReadOnlyList<SimModule> Modules => _ordered;

    /// <summary>The boot id: random at every start and every RESET.</summary>
    public uint BootId
    {
        get
        {
            lock (_state)
            {
                return _bootId;
            }
        }
    }

    /// <summary>How many times the device booted (1 after start, +1 per RESET).</summary>
    public int BootCount => Volatile.Read(ref _bootCount);

    /// <summary>The time since the last boot, on the device's clock.</summary>
    public TimeSpan Uptime => _time.GetElapsedTime(Volatile.Read(ref _bootTimestamp));

    /// <summary>The device's clock.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>Where the configuration is stored (tests reach in to simulate a crash during a save).</summary>
    internal ConfigStore Store => _store;

    /// <summary>The module in a slot.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns>The module.</returns>
    /// <exception cref="SimDeviceException">No module in that slot (NO_SUCH_MODULE).</exception>
    public SimModule GetModule(byte slot) =>
        _modules.TryGetValue(slot, out SimModule? module) ? module : throw new SimDeviceException(McpStatus.NoSuchModule, $"no module in slot {slot}");

    /// <summary>Reads a register as READ would (configuration registers included).</summary>
    /// <param name="slot">The slot.</param>
    /// <param name="address">The register.</param>
    /// <returns>The value.</returns>
    /// <exception cref="SimDeviceException">The register cannot be read; <see cref="SimDeviceException.Status"/> says why.</exception>
    public int ReadRegister(byte slot, ushort address) => ReadRegisters(slot, address, 1)[0];

    /// <summary>Reads consecutive registers as READ would.</summary>
    /// <param name="slot">The slot.</param>
    /// <param name="first">The first register.</param>
    /// <param name="count">How many.</param>
    /// <returns>The values.</returns>
    /// <exception cref="SimDeviceException">A register cannot be read; <see cref="SimDeviceException.Status"/> says why.</exception>
    public int[] ReadRegisters(byte slot, ushort first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        int[] values = new int[count];
        Outcome outcome = Read(slot, first, count, values);
        return outcome.IsOk ? values : throw new SimDeviceException(outcome.Status, outcome.Message!);
    }

    /// <summary>
    /// Sets a live register from outside, whatever its access: a relay's state, a sensor's simulated quantity, an
    /// input's level (each module type documents what setting means). Configuration registers change only through
    /// <see cref="SetConfigAsync"/>.
    /// </summary>
    /// <param name="slot">The slot.</param>
    /// <param name="address">The register.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="SimDeviceException">No such module or register, or a configuration register.</exception>
    /// <exception cref="NotSupportedException">The module cannot set that register (for example a real GPIO input).</exception>
    public void SetRegister(byte slot, ushort address, int value)
    {
        lock (_state)
        {
            SimModule module = GetModule(slot);
            if (!module.TryGetRegister(address, out SimRegister? register))
            {
                throw new SimDeviceException(McpStatus.NoSuchRegister, $"register {address} is not defined in slot {slot} ({module.Name})");
            }

            if (register.IsConfig)
            {
                throw new SimDeviceException(McpStatus.ReadOnly, $"register {address} ({register.Name}) of slot {slot} is a configuration register; use SetConfigAsync");
            }

            module.DeviceSet(address, value);
        }
    }

    /// <summary>A module's configuration, as CONFIG_GET answers it.</summary>
    /// <param name="slot">The slot.</param>
    /// <returns>The version and every configuration register.</returns>
    /// <exception cref="SimDeviceException">No module in that slot.</exception>
    public ConfigSnapshot GetConfig(byte slot)
    {
        lock (_state)
        {
            SimModule module = GetModule(slot);
            return Snapshot(module);
        }
    }

    /// <summary>Changes configuration registers as CONFIG_SET does: validated, stored durably, then applied.</summary>
    /// <param name="slot">The slot.</param>
    /// <param name="entries">The registers to change.</param>
    /// <param name="expectedVersion">The version the change is based on; <see langword="null"/> for the current one.</param>
    /// <param name="cancellationToken">Stops waiting for another CONFIG_SET in progress.</param>
    /// <returns>The new version.</returns>
    /// <exception cref="SimDeviceException">Refused; <see cref="SimDeviceException.Status"/> is what CONFIG_SET would answer.</exception>
    public async Task<uint> SetConfigAsync(byte slot, IReadOnlyList<ConfigEntry> entries, uint? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        (Outcome outcome, uint version) = await ConfigSetAsync(slot, expectedVersion, entries, cancellationToken).ConfigureAwait(false);
        return outcome.IsOk ? version : throw new SimDeviceException(outcome.Status, outcome.Message!);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (SimModule module in _ordered)
        {
            module.Dispose();
        }

        _store.Dispose();
        _configGate.Dispose();
    }

    /// <summary>Builds the device: creates every module (checking its settings), loads the stored configuration and boots.</summary>
    /// <exception cref="DefinitionException">A module's settings are invalid; the message names the JSON path.</exception>
    internal static SimDevice Create(DeviceDefinition definition, SimModuleTypes types, ConfigStore store, TimeProvider time, ILoggerFactory loggers, Func<GpioDriver>? gpioDriverFactory)
    {
        var modules = new List<SimModule>(definition.Modules.Count);
        try
        {
            foreach (ModuleDefinition entry in definition.Modules)
            {
                if (!types.TryGet(entry.Type, out ISimModuleType? type))
                {
                    throw new DefinitionException($"unknown module type \"{entry.Type}\"; known types: {string.Join(", ", types.Names)}", entry.Path + ".type", definition.Source);
                }

                DefinitionObject settings = entry.CreateSettings();
                var context = new SimModuleContext
                {
                    Slot = entry.Slot,
                    Name = entry.Name,
                    Settings = settings,
                    TimeProvider = time,
                    Seed = SimNoise.Derive(definition.Seed, entry.Slot),
                    LoggerFactory = loggers,
                    GpioDriverFactory = gpioDriverFactory,
                    TypeCodeOverride = entry.TypeCode,
                    VersionOverride = entry.Version,
                };
                SimModule module;
                try
                {
                    module = type.Create(context);
                    modules.Add(module);
                    settings.EnsureNoUnknownProperties();
                }
                catch (DefinitionException ex) when (definition.Source is not null && ex.Source is null)
                {
                    throw ex.WithSource(definition.Source);
                }
                catch (ArgumentException ex)
                {
                    throw new DefinitionException(ex.Message, entry.Path, definition.Source, ex);
                }
            }

            var device = new SimDevice(definition, [.. modules], store, time, loggers.CreateLogger<SimDevice>());
            device.LoadStoredConfig(definition);
            device.Boot();
            return device;
        }
        catch
        {
            foreach (SimModule module in modules)
            {
                module.Dispose();
            }

            throw;
        }
    }

    /// <summary>The HELLO answer's body.</summary>
    internal DeviceInfo CreateDeviceInfo()
    {
        var modules = new ModuleInfo[_ordered.Length];
        for (int i = 0; i < modules.Length; i++)
        {
            SimModule module = _ordered[i];
            modules[i] = new ModuleInfo(module.Slot, module.TypeCode, module.Version, module.Name);
        }

        return new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = (ushort)MaxPayload,
            DeviceId = DeviceId,
            Firmware = Firmware,
            BootId = BootId,
            Modules = modules,
        };
    }

    internal bool TryGetModule(byte slot, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SimModule? module) => _modules.TryGetValue(slot, out module);

    /// <summary>Power-on and RESET: a new random boot id, uptime from zero, every module's live state back to power-on.</summary>
    internal uint Boot()
    {
        lock (_state)
        {
            uint previous = _bootId;
            do
            {
                _bootId = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(sizeof(uint)));
            }
            while (_bootId == previous || _bootId == 0);

            long now = _time.GetTimestamp();
            Volatile.Write(ref _bootTimestamp, now);
            foreach (SimModule module in _ordered)
            {
                module.Boot(now);
            }

            Interlocked.Increment(ref _bootCount);
            SimLog.Booted(_logger, PeerText.Escape(DeviceId), _bootId); // from a definition file: shown escaped like any device text
            return _bootId;
        }
    }

    private static ConfigSnapshot Snapshot(SimModule module, uint version)
    {
        var entries = new List<ConfigEntry>();
        foreach (SimRegister register in module.Registers)
        {
            if (register.IsConfig)
            {
                entries.Add(new ConfigEntry(register.Address, module.ReadConfig(register.Address)));
            }
        }

        return new ConfigSnapshot(version, entries);
    }

    private ConfigSnapshot Snapshot(SimModule module) => Snapshot(module, _configVersions[module.Slot]);

    private void LoadStoredConfig(DeviceDefinition definition)
    {
        foreach ((byte slot, StoredModuleConfig stored) in _store.Loaded)
        {
            if (!_modules.TryGetValue(slot, out SimModule? module))
            {
                SimLog.StoredConfigIgnored(_logger, slot, "the device has no module in that slot");
                continue;
            }

            _configVersions[slot] = stored.Version;
            foreach ((ushort address, int value) in stored.Values)
            {
                if (!module.TryGetRegister(address, out SimRegister? register) || !register.IsConfig)
                {
                    SimLog.StoredConfigIgnored(_logger, slot, $"register {address} is not a configuration register of {module.Name} in {definition.Source ?? "this definition"}");
                    continue;
                }

                if (module.DeviceValidateConfig(address, value) is { } problem)
                {
                    SimLog.StoredConfigIgnored(_logger, slot, $"register {address}: {problem}; keeping the default");
                    continue;
                }

                module.ApplyConfig(address, value);
            }
        }
    }
}
