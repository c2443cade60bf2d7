using System.Device.Gpio;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.FirmwareSim.Modules;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.FirmwareSim.Hosting;

/// <summary>How to run a simulated device. Checked by <see cref="SimHost.StartAsync"/>.</summary>
public sealed class SimHostOptions
{
    /// <summary>The device; <see cref="DeviceDefinition.BuiltIn"/> (one module of each type) by default.</summary>
    public DeviceDefinition Device { get; set; } = DeviceDefinition.BuiltIn;

    /// <summary>The module types the definition may use; the built-in ones by default. Add your own types here.</summary>
    public SimModuleTypes ModuleTypes { get; set; } = SimModuleTypes.CreateDefault();

    /// <summary>Where to serve. Empty is allowed: links can still be made in memory (<see cref="SimHost.ConnectInMemory"/>).</summary>
    public IList<SimEndpoint> Endpoints { get; } = [];

    /// <summary>
    /// The directory that keeps the configuration (CONFIG_SET) across restarts; <see langword="null"/> keeps it in memory
    /// (it then survives RESET but not a restart of the host).
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>The faults to start with; <see langword="null"/> for the definition's <c>faults</c>.</summary>
    public FaultSettings? Faults { get; set; }

    /// <summary>The device's clock: behaviours, subscription periods, uptime, fault delays (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where logs go (default: nowhere).</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Creates the GPIO driver for <c>gpio</c> modules with <c>"driver": "system"</c> (tests pass a simulated one); <see langword="null"/> for the board's.</summary>
    public Func<GpioDriver>? GpioDriverFactory { get; set; }

    /// <summary>Requests handled at once per link (default 1, like firmware that answers one request at a time).</summary>
    public int HandlerConcurrency { get; set; } = 1;

    /// <summary>Requests waiting per link before the device answers BUSY (default 64).</summary>
    public int InboundRequestQueueCapacity { get; set; } = 64;

    /// <summary>Subscriptions per link (default 32; a SUBSCRIBE beyond it is answered BUSY).</summary>
    public int MaxSubscriptionsPerLink { get; set; } = 32;

    /// <summary>EVENTs waiting to be written per link (default 256); beyond it EVENTs are dropped, and subscribers see the eventSeq gap.</summary>
    public int EventQueueCapacity { get; set; } = 256;

    /// <summary>
    /// TCP links served at once (default 64). A connection beyond it is closed as soon as it is accepted: a client that
    /// opens connections without end cannot exhaust the host's file descriptors (the runtime does not survive that).
    /// </summary>
    public int MaxTcpLinks { get; set; } = 64;

    /// <summary>How many received requests <see cref="SimHost.Requests"/> keeps (default 10000).</summary>
    public int RequestLogCapacity { get; set; } = 10_000;

    /// <summary>Checks every setting and throws an exception naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Device, nameof(Device));
        ArgumentNullException.ThrowIfNull(ModuleTypes, nameof(ModuleTypes));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
        Faults?.Validate();
        Range(HandlerConcurrency, 1, 1024, nameof(HandlerConcurrency));
        Range(InboundRequestQueueCapacity, 1, 1 << 20, nameof(InboundRequestQueueCapacity));
        Range(MaxSubscriptionsPerLink, 1, 255, nameof(MaxSubscriptionsPerLink));
        Range(EventQueueCapacity, 1, 1 << 20, nameof(EventQueueCapacity));
        Range(MaxTcpLinks, 1, 100_000, nameof(MaxTcpLinks));
        Range(RequestLogCapacity, 1, 10_000_000, nameof(RequestLogCapacity));
        foreach (SimEndpoint endpoint in Endpoints)
        {
            ArgumentNullException.ThrowIfNull(endpoint, nameof(Endpoints));
        }
    }

    private static void Range(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"SimHostOptions.{name} must be from {min} to {max}; got {value}.");
        }
    }
}
