using Mcp.Frames.FirmwareSim.Modules.BuiltIn;

namespace Mcp.Frames.FirmwareSim.Modules;

/// <summary>The module types a device may use, by name. <see cref="CreateDefault"/> has the built-in types.</summary>
public sealed class SimModuleTypes
{
    private readonly Dictionary<string, ISimModuleType> _types = new(StringComparer.Ordinal);

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _types.Keys.Order(StringComparer.Ordinal)];

    /// <summary>A registry with the built-in types: relay, digital-input, analog-input, temperature, counter, gpio, registers.</summary>
    /// <returns>A new registry; add your own types to it.</returns>
    public static SimModuleTypes CreateDefault()
    {
        var types = new SimModuleTypes();
        types.Register(new RelayModuleType());
        types.Register(new DigitalInputModuleType());
        types.Register(new AnalogInputModuleType());
        types.Register(new TemperatureModuleType());
        types.Register(new CounterModuleType());
        types.Register(new GpioModuleType());
        types.Register(new RegistersModuleType());
        return types;
    }

    /// <summary>Adds or replaces a type.</summary>
    /// <param name="type">The type.</param>
    /// <returns>This registry.</returns>
    public SimModuleTypes Register(ISimModuleType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(type.Name, nameof(type));
        _types[type.Name] = type;
        return this;
    }

    /// <summary>Adds or replaces a type given by a factory method.</summary>
    /// <param name="name">The name used in definition files.</param>
    /// <param name="create">Builds a module from its context.</param>
    /// <returns>This registry.</returns>
    public SimModuleTypes Register(string name, Func<SimModuleContext, SimModule> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        return Register(new DelegateModuleType(name, create));
    }

    /// <summary>Finds a type by name.</summary>
    /// <param name="name">The name.</param>
    /// <param name="type">The type, when found.</param>
    /// <returns><see langword="true"/> when found.</returns>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISimModuleType? type) => _types.TryGetValue(name, out type);

    private sealed class DelegateModuleType(string name, Func<SimModuleContext, SimModule> create) : ISimModuleType
    {
        public string Name => name;

        public SimModule Create(SimModuleContext context) => create(context);
    }
}
