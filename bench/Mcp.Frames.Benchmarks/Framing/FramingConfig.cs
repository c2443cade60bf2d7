using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>Adds throughput columns derived from the mean: frames/s and GB/s for parsing, GB/s for the checksum.</summary>
public sealed class FramingConfig : ManualConfig
{
    public FramingConfig()
    {
        AddColumn(new ThroughputColumn("Frames/s", (_, ns) => 1e9 / ns, "N0"));
        AddColumn(new ThroughputColumn("GB/s", (bytes, ns) => bytes / ns, "F2"));
    }

    /// <summary>A column computed from the mean time per operation and the bytes one operation handles.</summary>
    private sealed class ThroughputColumn(string name, Func<double, double, double> compute, string format) : IColumn
    {
        public string Id => nameof(ThroughputColumn) + name;

        public string ColumnName => name;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => name == "GB/s" ? "Bytes handled per nanosecond (10^9 bytes per second)" : "Frames parsed per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (mean is not { } ns || ns <= 0)
            {
                return "-";
            }

            double bytes = BytesPerOperation(benchmarkCase);
            if (bytes < 0)
            {
                return "-";
            }

            return compute(bytes, ns).ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        private double BytesPerOperation(BenchmarkCase benchmarkCase)
        {
            foreach (var parameter in benchmarkCase.Parameters.Items)
            {
                switch (parameter.Name)
                {
                    case nameof(FrameParseBenchmarks.PayloadLength):
                        return Convert.ToDouble(parameter.Value, System.Globalization.CultureInfo.InvariantCulture) + FrameFormat.Overhead;
                    case nameof(FrameChecksumBenchmarks.Size):
                        return name == "Frames/s" ? -1 : Convert.ToDouble(parameter.Value, System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return -1;
        }
    }
}
