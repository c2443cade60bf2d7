namespace Mcp.Frames.FirmwareSim.Modules;

/// <summary>
/// Reproducible randomness for simulated values: a value is a pure function of a seed and a sample index (SplitMix64),
/// so a sensor read at any time, in any order, from any connection gives the same series for the same seed.
/// </summary>
public static class SimNoise
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    /// <summary>Mixes a seed with a stream number into a new seed (for per-module, per-register streams).</summary>
    /// <param name="seed">The parent seed.</param>
    /// <param name="stream">The stream number.</param>
    /// <returns>The derived seed.</returns>
    public static ulong Derive(ulong seed, ulong stream) => Mix(seed ^ Mix((stream + 1) * Golden));

    /// <summary>64 random bits for sample <paramref name="index"/> of the stream <paramref name="seed"/>.</summary>
    /// <param name="seed">The stream's seed.</param>
    /// <param name="index">The sample index.</param>
    /// <returns>The bits.</returns>
    public static ulong Bits(ulong seed, long index) => Mix(seed + ((ulong)index * Golden));

    /// <summary>A uniform value in [0, 1) for sample <paramref name="index"/>.</summary>
    /// <param name="seed">The stream's seed.</param>
    /// <param name="index">The sample index.</param>
    /// <returns>The value.</returns>
    public static double Uniform(ulong seed, long index) => (Bits(seed, index) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer from <paramref name="min"/> to <paramref name="max"/> (both included) for sample <paramref name="index"/>.</summary>
    /// <param name="seed">The stream's seed.</param>
    /// <param name="index">The sample index.</param>
    /// <param name="min">The smallest value.</param>
    /// <param name="max">The largest value.</param>
    /// <returns>The value.</returns>
    public static int Integer(ulong seed, long index, int min, int max)
    {
        ulong span = (ulong)((long)max - min) + 1;
        return (int)(min + (long)(Bits(seed, index) % span));
    }

    /// <summary>A standard normal value (mean 0, deviation 1) for sample <paramref name="index"/> (Box–Muller).</summary>
    /// <param name="seed">The stream's seed.</param>
    /// <param name="index">The sample index.</param>
    /// <returns>The value.</returns>
    public static double Gaussian(ulong seed, long index)
    {
        double u1 = 1.0 - Uniform(seed, 2 * index); // (0, 1]: log is finite
        double u2 = Uniform(seed, (2 * index) + 1);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
