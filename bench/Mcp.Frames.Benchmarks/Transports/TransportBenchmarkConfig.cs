using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>
/// A short in-process job for the streaming benchmarks (a 2-core machine: few iterations, each moving megabytes), with
/// throughput columns computed from the mean and the median time of one operation (one frame).
/// </summary>
public sealed class TransportBenchmarkConfig : ManualConfig
{
    public TransportBenchmarkConfig()
    {
        AddJob(Job.ShortRun
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(12)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .AsDefault()); // a job given on the command line (eng/bench.sh --smoke: --job Dry) replaces this one
        AddColumn(StatisticColumn.Median, new ThroughputColumn(megabytes: false), new ThroughputColumn(megabytes: true), new ThroughputColumn(megabytes: true, median: true));
    }
}

/// <summary>
/// frames/s or MB/s (10^6 bytes of frames on the wire per second), from the mean time per frame or, with
/// <paramref name="median"/>, from the median (less swayed by an iteration the machine disturbed).
/// </summary>
public sealed class ThroughputColumn(bool megabytes, bool median = false) : IColumn
{
    public string Id => (megabytes ? "MBps" : "FramesPerSecond") + (median ? "Median" : string.Empty);

    public string ColumnName => (megabytes ? "MB/s" : "frames/s") + (median ? " (median)" : string.Empty);

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (megabytes ? 1 : 0) + (median ? 1 : 0);

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => (megabytes ? "Megabytes (10^6) of frames per second" : "Frames per second") + (median ? ", from the median time" : ", from the mean time");

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? nanosecondsPerFrame = median ? summary[benchmarkCase]?.ResultStatistics?.Median : summary[benchmarkCase]?.ResultStatistics?.Mean;
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
