using System.Text;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules;

/// <summary>
/// A simulated module: its registers and what they hold. Subclass it to add a module type (and register an
/// <see cref="ISimModuleType"/> that builds it).
/// </summary>
/// <remarks>
/// <para>
/// The device calls the members below one at a time, under its state lock, so a module needs no locking of its own;
/// they must not block for long (they run while a request is being answered). Values are computed from the device's
/// <see cref="TimeProvider"/> when read, so simulated behaviour needs no timers and follows a fake clock in tests.
/// </para>
/// <para>
/// Configuration registers (<see cref="AddConfigRegister"/>) belong to the device: it persists them, answers READ and
/// CONFIG_GET for them, and tells the module about changes through <see cref="OnConfigChanged"/>.
/// </para>
/// </remarks>
public abstract class SimModule : IDisposable
{
    private readonly List<SimRegister> _ordered = [];
    private readonly Dictionary<ushort, SimRegister> _byAddress = [];
    private readonly Dictionary<ushort, int> _configDefaults = [];
    private readonly Dictionary<ushort, int> _config = [];
    private long _bootTimestamp;

    /// <summary>Creates the module.</summary>
    /// <param name="context">The context the module type was given.</param>
    /// <param name="typeCode">The type code HELLO reports (the definition file may override it).</param>
    /// <param name="version">The module version HELLO reports (the definition file may override it).</param>
    protected SimModule(SimModuleContext context, ushort typeCode, byte version = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        Slot = context.Slot;
        Name = context.Name;
        TypeCode = context.TypeCodeOverride ?? typeCode;
        Version = context.VersionOverride ?? version;
        Time = context.TimeProvider;
        Seed = context.Seed;
        _bootTimestamp = Time.GetTimestamp();
    }

    /// <summary>The slot.</summary>
    public byte Slot { get; }

    /// <summary>The name HELLO lists.</summary>
    public string Name { get; }

    /// <summary>The type code HELLO lists.</summary>
    public ushort TypeCode { get; }

    /// <summary>The module version HELLO lists.</summary>
    public byte Version { get; }

    /// <summary>The registers, by ascending address (the order DESCRIBE lists them in).</summary>
    public IReadOnlyList<SimRegister> Registers => _ordered;

    /// <summary>The device's clock.</summary>
    protected TimeProvider Time { get; }

    /// <summary>This module's noise seed.</summary>
    protected ulong Seed { get; }

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of the last (re)boot.</summary>
    protected long BootTimestamp => _bootTimestamp;

    /// <summary>The time since the last (re)boot.</summary>
    protected TimeSpan Uptime => Time.GetElapsedTime(_bootTimestamp);

    /// <summary>Finds a register.</summary>
    /// <param name="address">The address.</param>
    /// <param name="register">The register, when defined.</param>
    /// <returns><see langword="true"/> when defined.</returns>
    public bool TryGetRegister(ushort address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SimRegister? register) =>
        _byAddress.TryGetValue(address, out register);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>The current value of a configuration register, for the module's own use.</summary>
    /// <param name="address">A configuration register's address.</param>
    /// <returns>Its value.</returns>
    internal int ReadConfig(ushort address) => _config[address];

    /// <summary>The defaults of every configuration register.</summary>
    internal IReadOnlyDictionary<ushort, int> ConfigDefaults => _configDefaults;

    /// <summary>Sets a configuration register (validated and persisted by the device) and tells the module.</summary>
    internal void ApplyConfig(ushort address, int value)
    {
        _config[address] = value;
        OnConfigChanged(address, value);
    }

    /// <summary>The device's way in to the protected members below (subclasses in any assembly override them as <c>protected</c>).</summary>
    internal int DeviceRead(ushort address) => ReadRegister(address);

    internal string? DeviceValidateWrite(ushort address, int value) => ValidateWrite(address, value);

    internal void DeviceWrite(ushort address, int value) => WriteRegister(address, value);

    internal void DeviceSet(ushort address, int value) => SetRegister(address, value);

    internal string? DeviceValidateConfig(ushort address, int value) => ValidateConfig(address, value);

    /// <summary>Power-on: records the boot time and lets the module reset its live state.</summary>
    internal void Boot(long timestamp)
    {
        _bootTimestamp = timestamp;
        OnBoot();
    }

    /// <summary>Defines a live register (read, write or both; not configuration).</summary>
    /// <param name="address">The address, unique in the module.</param>
    /// <param name="name">The name (at most 255 UTF-8 bytes).</param>
    /// <param name="access"><see cref="RegisterAccess.Read"/>, <see cref="RegisterAccess.Write"/> or both.</param>
    /// <exception cref="ArgumentException">The address is taken, the name too long, or the access includes configuration.</exception>
    protected void AddRegister(ushort address, string name, RegisterAccess access)
    {
        if ((access & RegisterAccess.Config) != 0 || (access & (RegisterAccess.Read | RegisterAccess.Write)) == 0)
        {
            throw new ArgumentException($"Register {address} ({name}) of {Name}: a live register is readable, writable or both; use AddConfigRegister for configuration.", nameof(access));
        }

        Add(new SimRegister(address, name, access));
    }

    /// <summary>Defines a configuration register: read with READ and CONFIG_GET, changed with CONFIG_SET, persisted by the device.</summary>
    /// <param name="address">The address, unique in the module.</param>
    /// <param name="name">The name.</param>
    /// <param name="defaultValue">The value until a CONFIG_SET changes it.</param>
    protected void AddConfigRegister(ushort address, string name, int defaultValue)
    {
        Add(new SimRegister(address, name, RegisterAccess.Read | RegisterAccess.Config));
        _configDefaults[address] = defaultValue;
        _config[address] = defaultValue;
    }

    /// <summary>The current value of one of this module's configuration registers.</summary>
    /// <param name="address">The address.</param>
    /// <returns>The value.</returns>
    protected int GetConfig(ushort address) => _config[address];

    /// <summary>Reads a live readable register (never a configuration register: the device answers those).</summary>
    /// <param name="address">A defined, readable, non-configuration address.</param>
    /// <returns>The value now.</returns>
    protected abstract int ReadRegister(ushort address);

    /// <summary>
    /// Checks a value for a writable register before anything is written (WRITE is all or nothing). Return a reason to
    /// refuse it with BAD_REQUEST.
    /// </summary>
    /// <param name="address">A writable register.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="null"/> to accept, or why not.</returns>
    protected virtual string? ValidateWrite(ushort address, int value) => null;

    /// <summary>Writes a writable register (after every value of the WRITE was validated).</summary>
    /// <param name="address">The register.</param>
    /// <param name="value">The value.</param>
    protected virtual void WriteRegister(ushort address, int value) =>
        throw new NotSupportedException($"Module {Name} (slot {Slot}) defines register {address} as writable but does not override WriteRegister.");

    /// <summary>
    /// Sets any live register from an embedding test or tool (<see cref="Device.SimDevice.SetRegister"/>), including
    /// read-only ones: a sensor's simulated quantity, an input's level. The default writes writable registers and
    /// refuses the others.
    /// </summary>
    /// <param name="address">The register.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="NotSupportedException">The module cannot set that register.</exception>
    protected virtual void SetRegister(ushort address, int value)
    {
        if (!TryGetRegister(address, out SimRegister? register) || !register.IsWritable)
        {
            throw new NotSupportedException($"Module {Name} (slot {Slot}) cannot set register {address} from outside.");
        }

        WriteRegister(address, value);
    }

    /// <summary>Checks a value for a configuration register before a CONFIG_SET is stored. Return a reason to refuse it with BAD_REQUEST.</summary>
    /// <param name="address">A configuration register.</param>
    /// <param name="value">The value.</param>
    /// <returns><see langword="null"/> to accept, or why not.</returns>
    protected virtual string? ValidateConfig(ushort address, int value) => null;

    /// <summary>Called when a configuration register changed (at start from the stored configuration, and after CONFIG_SET).</summary>
    /// <param name="address">The register.</param>
    /// <param name="value">The new value.</param>
    protected virtual void OnConfigChanged(ushort address, int value)
    {
    }

    /// <summary>Called at power-on and on every RESET: put live registers in their power-on state.</summary>
    protected virtual void OnBoot()
    {
    }

    /// <summary>Releases what the module holds (GPIO pins, sensors).</summary>
    /// <param name="disposing">Whether called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    private void Add(SimRegister register)
    {
        ArgumentException.ThrowIfNullOrEmpty(register.Name);
        if (Encoding.UTF8.GetByteCount(register.Name) > 255)
        {
            throw new ArgumentException($"Register {register.Address} of {Name}: the name is longer than 255 UTF-8 bytes.", nameof(register));
        }

        if (_ordered.Count == 255)
        {
            throw new ArgumentException($"Module {Name} has more than 255 registers; DESCRIBE cannot list them (its total is a u8).", nameof(register));
        }

        if (!_byAddress.TryAdd(register.Address, register))
        {
            throw new ArgumentException($"Register {register.Address} of {Name} is defined twice ({_byAddress[register.Address].Name} and {register.Name}).", nameof(register));
        }

        int index = _ordered.FindIndex(r => r.Address > register.Address);
        _ordered.Insert(index < 0 ? _ordered.Count : index, register);
    }
}
