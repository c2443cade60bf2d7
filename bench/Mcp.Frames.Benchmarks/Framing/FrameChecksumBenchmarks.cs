using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>Checksum throughput: the vectorized <see cref="FrameChecksum.Compute"/> against the scalar loop.</summary>
[MemoryDiagnoser]
[Config(typeof(FramingConfig))]
public class FrameChecksumBenchmarks
{
    private byte[] _data = [];

    [Params(16, 64, 256, 1024, 65540)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(42).NextBytes(_data);
        if (FrameChecksum.Compute(_data) != FrameChecksum.ComputeScalar(_data))
        {
            throw new InvalidOperationException("vector and scalar checksums differ");
        }
    }

    [Benchmark(Baseline = true)]
    public byte Scalar() => FrameChecksum.ComputeScalar(_data);

    [Benchmark]
    public byte Vector() => FrameChecksum.Compute(_data);
}
