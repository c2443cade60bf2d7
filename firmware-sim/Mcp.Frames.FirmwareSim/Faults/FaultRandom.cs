using Mcp.Frames.FirmwareSim.Modules;

namespace Mcp.Frames.FirmwareSim.Faults;

/// <summary>
/// One seeded stream of fault decisions (SplitMix64): the same seed and stream number give the same decisions on any
/// machine and .NET version. Not thread-safe: each direction of each link owns one.
/// </summary>
internal sealed class FaultRandom
{
    private ulong _state;

    public FaultRandom(ulong seed, ulong stream) => _state = SimNoise.Derive(seed, stream);

    /// <summary>The stream of a link's direction: 0 inbound, 1 outbound, 2 request faults (BUSY, slow).</summary>
    public static ulong StreamOf(int linkNumber, int purpose) => ((ulong)linkNumber * 4) + (ulong)purpose;

    public ulong NextBits()
    {
        _state += 0x9E3779B97F4A7C15;
        return SimNoise.Mix(_state);
    }

    /// <summary>A uniform value in [0, 1).</summary>
    public double NextDouble() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability <paramref name="p"/>. Always draws one number, so the stream does not depend on p.</summary>
    public bool Chance(double p)
    {
        double draw = NextDouble();
        return draw < p;
    }

    /// <summary>A uniform integer from <paramref name="min"/> to <paramref name="max"/>, both included.</summary>
    public int Next(int min, int max) => (int)(min + (long)(NextBits() % (ulong)((long)max - min + 1)));

    /// <summary>A uniform duration from zero to <paramref name="max"/>.</summary>
    public TimeSpan NextDuration(TimeSpan max) => max <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(NextDouble() * (max.Ticks + 1)));
}
