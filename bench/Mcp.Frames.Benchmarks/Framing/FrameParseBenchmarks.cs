using System.Buffers;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>
/// Parse throughput: <see cref="BenchFrames.Count"/> valid frames per invocation, from one segment or from 4 KiB
/// segments (frames straddling a boundary go through the reassembly path). Mean is per frame.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FramingConfig))]
public class FrameParseBenchmarks
{
    private byte[] _buffer = [];
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _multi;
    private FrameParser _parser = new();

    [Params(0, 8, 64, 256)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = BenchFrames.Build(PayloadLength);
        _single = new ReadOnlySequence<byte>(_buffer);
        _multi = BenchFrames.Segmented(_buffer);
        _parser = new FrameParser(FrameFormat.DefaultMaxPayloadLength);

        // Both layouts must deliver every frame, or the numbers mean nothing.
        Check(_single);
        Check(_multi);
    }

    [Benchmark(OperationsPerInvoke = BenchFrames.Count)]
    public long SingleSegment()
    {
        return CountingSink.Parse(_parser, _single);
    }

    [Benchmark(OperationsPerInvoke = BenchFrames.Count)]
    public long MultiSegment()
    {
        return CountingSink.Parse(_parser, _multi);
    }

    private void Check(ReadOnlySequence<byte> buffer)
    {
        var parser = new FrameParser();
        var sink = default(CountingSink);
        int count = parser.ParseAll(ref buffer, ref sink);
        if (count != BenchFrames.Count || !buffer.IsEmpty || parser.Counters.DeliveredBytes != _buffer.Length)
        {
            throw new InvalidOperationException($"parsed {count} frames, {buffer.Length} bytes left, counters {parser.Counters}");
        }
    }

}
