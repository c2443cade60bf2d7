using System.Device.Gpio;
using Mcp.Frames.FirmwareSim.Definition;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Modules;

/// <summary>What a module type gets to build one module: its place in the device, its settings and the device's services.</summary>
public sealed class SimModuleContext
{
    /// <summary>The slot.</summary>
    public required byte Slot { get; init; }

    /// <summary>The module's name.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The type-specific settings from the definition file. Read every field you support through it (problems are
    /// reported with their JSON path); fields nobody read are reported as unknown after <see cref="ISimModuleType.Create"/>.
    /// </summary>
    public required DefinitionObject Settings { get; init; }

    /// <summary>The device's clock. Every behaviour, period and sample time must use it (tests use a fake clock).</summary>
    public required TimeProvider TimeProvider { get; init; }

    /// <summary>A seed for this module's simulated noise, derived from the device's seed and the slot.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Where the module may log.</summary>
    public required ILoggerFactory LoggerFactory { get; init; }

    /// <summary>
    /// Creates the GPIO driver for modules that drive pins, when the host was given one (tests, or a board that needs
    /// a specific driver); <see langword="null"/> to let <see cref="GpioController"/> pick the board's driver.
    /// </summary>
    public Func<GpioDriver>? GpioDriverFactory { get; init; }

    /// <summary>The type code the definition file sets, overriding the type's own.</summary>
    internal ushort? TypeCodeOverride { get; init; }

    /// <summary>The module version the definition file sets, overriding the type's own.</summary>
    internal byte? VersionOverride { get; init; }
}
