using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>The <c>analog-input</c> type: channels with a sine or random-walk signal.</summary>
public sealed class AnalogInputModuleType : ISimModuleType
{
    /// <summary>The type code HELLO reports.</summary>
    public const ushort TypeCode = 0x0003;

    /// <summary>The configuration register with the gain applied to every channel, in ‰ (1000 = 1.0).</summary>
    public const ushort GainRegister = 0x100;

    /// <inheritdoc />
    public string Name => "analog-input";

    /// <inheritdoc />
    public SimModule Create(SimModuleContext context) => new AnalogInputModule(context);
}

/// <summary>
/// Analog inputs: register i is channel i (millivolts), multiplied by the gain (configuration register 0x100, ‰).
/// Sine channels follow offset + amplitude·sin(2πt/period); random-walk channels take a seeded step of ±step every
/// period, kept between min and max.
/// </summary>
internal sealed class AnalogInputModule : SimModule
{
    private readonly Channel[] _channels;

    public AnalogInputModule(SimModuleContext context)
        : base(context, AnalogInputModuleType.TypeCode)
    {
        IReadOnlyList<DefinitionObject>? channels = context.Settings.GetOptionalObjectArray("channels", 1, 64);
        if (channels is null)
        {
            _channels =
            [
                new SineChannel("ain0", 2500, 1000, TimeSpan.FromSeconds(10), TimeSpan.Zero),
                new WalkChannel("ain1", 0, 10, -1000, 1000, TimeSpan.FromMilliseconds(100), SimNoise.Derive(Seed, 1)),
            ];
        }
        else
        {
            _channels = new Channel[channels.Count];
            for (int i = 0; i < channels.Count; i++)
            {
                _channels[i] = ReadChannel(channels[i], i, SimNoise.Derive(Seed, (ulong)i));
            }
        }

        for (int i = 0; i < _channels.Length; i++)
        {
            AddRegister((ushort)i, _channels[i].Name, RegisterAccess.Read);
        }

        AddConfigRegister(AnalogInputModuleType.GainRegister, "gainPermille", (int)context.Settings.GetInteger("gainPermille", 1000, 0, 1_000_000));
    }

    protected override int ReadRegister(ushort address)
    {
        long raw = _channels[address].Read(Uptime);
        return (int)Math.Clamp(raw * GetConfig(AnalogInputModuleType.GainRegister) / 1000, int.MinValue, int.MaxValue);
    }

    protected override void SetRegister(ushort address, int value) => _channels[address].Set(value, Uptime);

    protected override string? ValidateConfig(ushort address, int value) =>
        value is >= 0 and <= 1_000_000 ? null : $"gainPermille must be from 0 to 1000000; got {value}";

    protected override void OnBoot()
    {
        foreach (Channel channel in _channels)
        {
            channel.Boot();
        }
    }

    private static Channel ReadChannel(DefinitionObject channel, int index, ulong seed)
    {
        string name = channel.GetOptionalString("name") ?? $"ain{index}";
        string waveform = channel.GetChoice("waveform", "sine", "sine", "random-walk");
        Channel result;
        if (waveform == "sine")
        {
            result = new SineChannel(
                name,
                (int)channel.GetInteger("offset", 0, -1_000_000_000, 1_000_000_000),
                (int)channel.GetInteger("amplitude", 1000, 0, 1_000_000_000),
                TimeSpan.FromMilliseconds(channel.GetInteger("periodMs", 10_000, 1, int.MaxValue)),
                channel.GetMilliseconds("phaseMs", TimeSpan.Zero));
        }
        else
        {
            int min = (int)channel.GetInteger("min", -10_000, -1_000_000_000, 1_000_000_000);
            int max = (int)channel.GetInteger("max", 10_000, -1_000_000_000, 1_000_000_000);
            if (max < min)
            {
                throw channel.Error("max", $"must be at least min ({min}); got {max}");
            }

            int start = (int)channel.GetInteger("start", Math.Clamp(0, min, max), min, max);
            result = new WalkChannel(
                name,
                start,
                (int)channel.GetInteger("step", 10, 0, 1_000_000_000),
                min,
                max,
                TimeSpan.FromMilliseconds(channel.GetInteger("periodMs", 100, 1, int.MaxValue)),
                seed);
        }

        channel.EnsureNoUnknownProperties();
        return result;
    }

    private abstract class Channel(string name)
    {
        public string Name { get; } = name;

        public abstract long Read(TimeSpan uptime);

        public abstract void Set(int value, TimeSpan uptime);

        public abstract void Boot();
    }

    private sealed class SineChannel(string name, int offset, int amplitude, TimeSpan period, TimeSpan phase) : Channel(name)
    {
        private long _offset = offset;

        public override long Read(TimeSpan uptime) =>
            _offset + (long)Math.Round(amplitude * Math.Sin(2 * Math.PI * ((uptime + phase).Ticks % period.Ticks) / period.Ticks));

        public override void Set(int value, TimeSpan uptime) => _offset += value - Read(uptime);

        public override void Boot() => _offset = offset;
    }

    /// <summary>
    /// A bounded random walk, stepped once per period. Steps are a pure function of the seed and the step number, and
    /// reads catch up step by step, so the series is the same however often it is read.
    /// </summary>
    private sealed class WalkChannel(string name, int start, int step, int min, int max, TimeSpan period, ulong seed) : Channel(name)
    {
        private const long MaxCatchUp = 1_000_000;
        private long _value = start;
        private long _steps;

        public override long Read(TimeSpan uptime)
        {
            long due = uptime.Ticks / period.Ticks;
            if (due - _steps > MaxCatchUp)
            {
                _steps = due - MaxCatchUp; // a very long gap: the walk forgets its distant past
            }

            for (; _steps < due; _steps++)
            {
                long delta = (SimNoise.Bits(seed, _steps) & 1) == 0 ? -step : step;
                _value = Math.Clamp(_value + delta, min, max);
            }

            return _value;
        }

        public override void Set(int value, TimeSpan uptime)
        {
            Read(uptime);
            _value = value;
        }

        public override void Boot()
        {
            _value = start;
            _steps = 0;
        }
    }
}
