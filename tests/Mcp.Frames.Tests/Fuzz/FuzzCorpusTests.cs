using Mcp.Frames.Fuzz;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Fuzz;

/// <summary>
/// The fuzz targets of tests/Mcp.Frames.Fuzz (eng/fuzz.sh runs them under AFL++), in every test run: their seeds,
/// every input a fuzzing run found to fail (kept in tests/Mcp.Frames.Fuzz/regressions/TARGET/), and a bounded number
/// of random mutations of the seeds with a fixed seed.
/// </summary>
public class FuzzCorpusTests
{
    private const int Mutations = 20_000;

    public static IEnumerable<string> Targets => FuzzTargets.All.Keys;

    [TestCaseSource(nameof(Targets))]
    public void Seeds_and_every_recorded_failure_pass(string target)
    {
        var inputs = FuzzTargets.Seeds(target).Select((s, i) => ($"seed {i}", s)).ToList();
        string regressions = Path.Combine(AppContext.BaseDirectory, "fuzz-regressions", target); // copied by the project file
        if (Directory.Exists(regressions))
        {
            inputs.AddRange(Directory.EnumerateFiles(regressions).Order(StringComparer.Ordinal).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f))));
        }

        Assert.That(inputs, Has.Count.GreaterThanOrEqualTo(5), "the seeds cover every kind of input");
        foreach ((string name, byte[] input) in inputs)
        {
            Assert.DoesNotThrow(() => FuzzTargets.All[target](input), $"{target} {name}: {Convert.ToHexString(input)}");
        }
    }

    [TestCaseSource(nameof(Targets))]
    public void Random_mutations_of_the_seeds_pass(string target)
    {
        byte[][] seeds = [.. FuzzTargets.Seeds(target)];
        var random = new Random(20261208);
        for (int i = 0; i < Mutations; i++)
        {
            byte[] input = Mutate(seeds[random.Next(seeds.Length)], random);
            try
            {
                FuzzTargets.All[target](input);
            }
            catch (Exception ex)
            {
                Assert.Fail($"{target}, mutation {i}: {Convert.ToHexString(input)}: {ex}");
            }
        }
    }

    /// <summary>A few of AFL's havoc steps: flip a bit, set a byte, insert or delete a run, duplicate a run, cut.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = new List<byte>(seed);
        int steps = random.Next(1, 8);
        for (int s = 0; s < steps && bytes.Count > 0; s++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 9)).Select(_ => random.Next(3) == 0 ? (byte)0x5A : (byte)random.Next(256)));
                    break;
                case 3:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 9), bytes.Count - at));
                    break;
                case 4:
                    int length = Math.Min(random.Next(1, 33), bytes.Count - at);
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }
}
