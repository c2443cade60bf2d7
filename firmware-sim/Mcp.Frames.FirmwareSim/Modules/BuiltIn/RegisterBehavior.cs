using Mcp.Frames.FirmwareSim.Definition;

namespace Mcp.Frames.FirmwareSim.Modules.BuiltIn;

/// <summary>
/// A simulated register value that changes with time (the <c>behavior</c> of a generic register): computed from the
/// time since boot when read, so it follows the device's clock exactly and needs no timer.
/// </summary>
internal abstract class RegisterBehavior
{
    public const string Kinds = "increment, random, sine, uptime";

    public static RegisterBehavior Read(DefinitionObject behavior, int initial, ulong seed)
    {
        string kind = behavior.GetChoice("kind", "", "increment", "random", "sine", "uptime");
        RegisterBehavior result = kind switch
        {
            "increment" => new Increment(
                initial,
                (int)behavior.GetInteger("step", 1, int.MinValue, int.MaxValue),
                RequiredPeriod(behavior)),
            "random" => ReadRandom(behavior, seed),
            "sine" => new Sine(
                (int)behavior.GetInteger("offset", initial, int.MinValue, int.MaxValue),
                (int)behavior.GetInteger("amplitude", 1000, 0, int.MaxValue / 2),
                RequiredPeriod(behavior),
                behavior.GetMilliseconds("phaseMs", TimeSpan.Zero)),
            "uptime" => new UptimeValue(behavior.GetChoice("unit", "ms", "ms", "s") == "s"),
            _ => throw behavior.Error("kind", $"is required (one of {Kinds})"),
        };
        behavior.EnsureNoUnknownProperties();
        return result;
    }

    /// <summary>The value at <paramref name="uptime"/>.</summary>
    public abstract int Read(TimeSpan uptime);

    /// <summary>Power-on: back to the configured start.</summary>
    public abstract void Boot();

    /// <summary>Sets the value now (from an embedding test): the behaviour continues from it.</summary>
    public abstract void Set(int value, TimeSpan uptime);

    private static TimeSpan RequiredPeriod(DefinitionObject behavior) =>
        behavior.GetOptionalInteger("periodMs", 1, int.MaxValue) is { } ms
            ? TimeSpan.FromMilliseconds(ms)
            : throw behavior.Error("periodMs", "is required for this kind (milliseconds, at least 1)");

    private static RandomSamples ReadRandom(DefinitionObject behavior, ulong seed)
    {
        int min = (int)behavior.GetInteger("min", 0, int.MinValue, int.MaxValue);
        int max = (int)behavior.GetInteger("max", 100, int.MinValue, int.MaxValue);
        if (max < min)
        {
            throw behavior.Error("max", $"must be at least min ({min}); got {max}");
        }

        return new RandomSamples(min, max, RequiredPeriod(behavior), seed);
    }

    private static long Periods(TimeSpan elapsed, TimeSpan period) => elapsed < TimeSpan.Zero ? 0 : elapsed.Ticks / period.Ticks;

    /// <summary>Counts up by <c>step</c> every period from the initial value (wrapping at the i32 range).</summary>
    private sealed class Increment(int initial, int step, TimeSpan period) : RegisterBehavior
    {
        private readonly int _initial = initial;
        private int _start = initial;
        private TimeSpan _anchor;

        public override int Read(TimeSpan uptime) => unchecked((int)(_start + (step * Periods(uptime - _anchor, period))));

        public override void Boot()
        {
            _start = _initial;
            _anchor = TimeSpan.Zero;
        }

        public override void Set(int value, TimeSpan uptime)
        {
            _start = value;
            _anchor = uptime;
        }
    }

    /// <summary>A new uniform value from min to max every period (sample n is a pure function of the seed and n).</summary>
    private sealed class RandomSamples(int min, int max, TimeSpan period, ulong seed) : RegisterBehavior
    {
        private long _heldSample = -1;
        private int _held;

        public override int Read(TimeSpan uptime)
        {
            long sample = Periods(uptime, period);
            return sample == _heldSample ? _held : SimNoise.Integer(seed, sample, min, max);
        }

        public override void Boot() => _heldSample = -1;

        public override void Set(int value, TimeSpan uptime)
        {
            _heldSample = Periods(uptime, period); // held until the next sample
            _held = value;
        }
    }

    /// <summary>offset + amplitude·sin(2π(t + phase)/period), rounded.</summary>
    private sealed class Sine(int offset, int amplitude, TimeSpan period, TimeSpan phase) : RegisterBehavior
    {
        private long _offset = offset;

        public override int Read(TimeSpan uptime)
        {
            double angle = 2 * Math.PI * ((uptime + phase).Ticks % period.Ticks) / period.Ticks;
            return (int)Math.Clamp(_offset + Math.Round(amplitude * Math.Sin(angle)), int.MinValue, int.MaxValue);
        }

        public override void Boot() => _offset = offset;

        public override void Set(int value, TimeSpan uptime) => _offset += value - (long)Read(uptime); // the wave goes on from the value set
    }

    /// <summary>The time since boot in milliseconds (wrapping) or whole seconds.</summary>
    private sealed class UptimeValue(bool seconds) : RegisterBehavior
    {
        private long _adjust;

        public override int Read(TimeSpan uptime)
        {
            long value = seconds ? (long)uptime.TotalSeconds : (long)uptime.TotalMilliseconds;
            return unchecked((int)(value + _adjust));
        }

        public override void Boot() => _adjust = 0;

        public override void Set(int value, TimeSpan uptime)
        {
            _adjust = 0;
            _adjust = value - (long)Read(uptime);
        }
    }
}
