using System.Buffers;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>
/// The parse measured the way bench/c-baseline/parse.c measures the C loop: each iteration parses the
/// <see cref="BenchFrames.Count"/>-frame buffer once (a few microseconds), 2000 iterations, reported as median and
/// minimum per frame. Short samples are far less disturbed by other processes on a busy machine than long ones, on both
/// sides alike; <see cref="FrameParseBenchmarks"/> gives the usual long-iteration means. SingleSegment is the one to
/// compare with the C loop (which has no segments).
/// </summary>
[Config(typeof(Config))]
public class FrameParseVersusCBenchmarks
{
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _multi;
    private FrameParser _parser = new();

    [Params(0, 8, 64, 256)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] frames = BenchFrames.Build(PayloadLength);
        _single = new ReadOnlySequence<byte>(frames);
        _multi = BenchFrames.Segmented(frames);
        _parser = new FrameParser(FrameFormat.DefaultMaxPayloadLength);
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

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default
                .WithId("Sampled")
                .WithLaunchCount(1)
                .WithWarmupCount(20000) // ~0.5 s: enough for tiered compilation to reach its final code
                .WithIterationCount(2000)
                .WithInvocationCount(1)
                .WithUnrollFactor(1));
            AddColumn(StatisticColumn.Median, StatisticColumn.Min);
            AddColumnProvider(new FramingConfig().GetColumnProviders().ToArray());
            AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
        }
    }

}
