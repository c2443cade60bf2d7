using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>
/// A short in-process job for the streaming benchmarks (a 2-core machine: few iterations, each moving megabytes), with
/// throughput columns computed from the mean time of one operation (one frame).
/// </summary>
public sealed class TransportBenchmarkConfig : ManualConfig
{
    public TransportBenchmarkConfig()
    {
        AddJob(Job.ShortRun
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(8)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .AsDefault()); // a job given on the command line (eng/bench.sh --smoke: --job Dry) replaces this one
        AddColumn(new ThroughputColumn(megabytes: false), new ThroughputColumn(megabytes: true));
    }
}

/// <summary>frames/s or MB/s (10^6 bytes of frames on the wire per second), from the mean time per frame.</summary>
public sealed class ThroughputColumn(bool megabytes) : IColumn
{
    public string Id => megabytes ? "MBps" : "FramesPerSecond";

    public string ColumnName => megabytes ? "MB/s" : "frames/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => megabytes ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => megabytes ? "Megabytes (10^6) of frames per second" : "Frames per second";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? nanosecondsPerFrame = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (nanosecondsPerFrame is not > 0)
        {
            return "-";
        }

        double framesPerSecond = 1e9 / nanosecondsPerFrame.Value;
        return megabytes
            ? (framesPerSecond * StreamingWorkload.FrameLength / 1e6).ToString("N1", System.Globalization.CultureInfo.InvariantCulture)
            : framesPerSecond.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
