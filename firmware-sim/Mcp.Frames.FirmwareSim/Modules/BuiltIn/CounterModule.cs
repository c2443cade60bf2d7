using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>counter</c> type: pulse counters that count at a configured rate.</summary>
public sealed class CounterModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0005;

    /// <summary>Configuration: simulated pulses per minute on every counter.</summary>
    public const ushort RateRegister = 0x100;

    /// <inheritdoc />
    public string Name => "counter";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new CounterModule(context);
}

/// <summary>
/// Counters: register i is counter i; it counts simulated pulses at the configured rate (configuration register
/// 0x100, pulses per minute). WRITE sets a counter (0 to reset it); it goes on counting from there.
/// </summary>
internal sealed class CounterModule : SimModule
{
    private readonly long[] _bases;
    private readonly TimeSpan[] _anchors;
    private int _rate;

    public CounterModule(SimModuleContext context)
        : base(context, CounterModuleType.TypeCode)
    {
        DefinitionObject settings = context.Settings;
        int counters = (int)settings.GetInteger("counters", 1, 1, 64);
        _bases = new long[counters];
        _anchors = new TimeSpan[counters];
        for (int i = 0; i < counters; i++)
        {
            AddRegister((ushort)i, $"count{i}", RegisterAccess.Read | RegisterAccess.Write);
        }

        _rate = (int)settings.GetInteger("ratePerMinute", 60, 0, 60_000_000);
        AddConfigRegister(CounterModuleType.RateRegister, "ratePerMinute", _rate);
    }

    protected override int ReadRegister(ushort address) => unchecked((int)Count(address, Uptime));

    protected override void WriteRegister(ushort address, int value)
    {
        _bases[address] = value;
        _anchors[address] = Uptime;
    }

    protected override string? ValidateConfig(ushort address, int value) =>
        value is >= 0 and <= 60_000_000 ? null : $"ratePerMinute must be from 0 to 60000000; got {value}";

    protected override void OnConfigChanged(ushort address, int value)
    {
        // The new rate applies from now: fold what was counted at the old rate into the base.
        TimeSpan now = Uptime;
        for (int i = 0; i < _bases.Length; i++)
        {
            _bases[i] = Count(i, now, _rate);
            _anchors[i] = now;
        }

        _rate = value;
    }

    protected override void OnBoot()
    {
        Array.Clear(_bases);
        Array.Clear(_anchors);
        _rate = GetConfig(CounterModuleType.RateRegister);
    }

    private long Count(int counter, TimeSpan now) => Count(counter, now, _rate);

    private long Count(int counter, TimeSpan now, int rate)
    {
        long elapsed = Math.Max(0, (now - _anchors[counter]).Ticks);
        return _bases[counter] + (long)((Int128)elapsed * rate / TimeSpan.TicksPerMinute);
    }
}
