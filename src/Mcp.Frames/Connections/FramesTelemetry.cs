using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mcp.Frames.Connections;

/// <summary>
/// The <c>Mcp.Frames</c> meter and activity source, and the instruments every connection reports to.
/// Instruments are named <c>mcp.frames.*</c> and carry the link name as the <c>mcp.link</c> tag.
/// </summary>
public sealed class FramesTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Mcp.Frames";

    private static readonly Lazy<FramesTelemetry> SharedInstance = new(() => new FramesTelemetry(new Meter(Name)));
    private static readonly Lock FactoryLock = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IMeterFactory, FramesTelemetry> PerFactory = new();

    // The connections that report to this meter (not to every meter of the process), and per link name the final
    // counts of its connections that ended: a link's counters stay monotonic across reconnects and keep what was
    // counted at the very end (an incomplete candidate at the end of the stream is counted as the link ends).
    private readonly Lock _liveLock = new();
    private readonly HashSet<FrameConnection> _live = [];
    private readonly Dictionary<string, long[]> _ended = [];
    private readonly Queue<string> _endedOrder = new(); // link names in _ended, oldest first

    /// <summary>
    /// How many ended links keep their totals. Links named per peer (a listener's <c>tcp host:port</c>) would otherwise
    /// grow the table without bound; past this, the link that ended first stops being reported.
    /// </summary>
    internal const int MaxEndedLinks = 256;

    private static readonly int ObservedCount = Enum.GetValues<Observed>().Length;

    private FramesTelemetry(Meter meter)
    {
        Meter = meter;

        // Frame and byte counts are read from each live connection's own counters when metrics are collected,
        // so the receive and send paths pay nothing per frame for them.
        meter.CreateObservableCounter("mcp.frames.frames.received", () => Observe(Observed.FramesReceived), "{frame}", "Frames delivered by the receiver.");
        meter.CreateObservableCounter("mcp.frames.bytes.received", () => Observe(Observed.BytesReceived), "By", "Bytes of delivered frames.");
        meter.CreateObservableCounter("mcp.frames.frames.sent", () => Observe(Observed.FramesSent), "{frame}", "Frames written.");
        meter.CreateObservableCounter("mcp.frames.bytes.sent", () => Observe(Observed.BytesSent), "By", "Bytes of frames written.");
        meter.CreateObservableCounter("mcp.frames.receiver.skipped", () => Observe(Observed.Skipped), "By", "Bytes discarded while hunting for a header (PROTOCOL.md §1.1 rule 1).");
        meter.CreateObservableCounter("mcp.frames.receiver.oversize", () => Observe(Observed.Oversize), "{candidate}", "Candidates rejected for len over the limit (rule 2).");
        meter.CreateObservableCounter("mcp.frames.receiver.bad_checksum", () => Observe(Observed.BadChecksum), "{candidate}", "Candidates rejected by the XOR check (rule 3).");
        meter.CreateObservableCounter("mcp.frames.receiver.stalled", () => Observe(Observed.Stalled), "{candidate}", "Incomplete candidates discarded by stall recovery (rule 5).");
        meter.CreateObservableCounter("mcp.frames.receiver.truncated", () => Observe(Observed.Truncated), "{candidate}", "Incomplete candidates at end of stream (rule 6).");
        RequestsStarted = meter.CreateCounter<long>("mcp.frames.requests.started", "{request}", "Requests sent (each attempt).");
        RequestsCompleted = meter.CreateCounter<long>("mcp.frames.requests.completed", "{request}", "Requests answered OK.");
        RequestsTimedOut = meter.CreateCounter<long>("mcp.frames.requests.timed_out", "{request}", "Request attempts sent that got no answer in time.");
        RequestsTimedOutUnsent = meter.CreateCounter<long>("mcp.frames.requests.timed_out_unsent", "{request}", "Requests whose timeout ran out while they waited for a free slot, a match key or the writer: never sent.");
        RequestsFailed = meter.CreateCounter<long>("mcp.frames.requests.failed", "{request}", "Requests sent that ended with an error status, link loss or cancellation.");
        UnmatchedResponses = meter.CreateCounter<long>("mcp.frames.responses.unmatched", "{frame}", "Responses that matched no request in flight (late or bogus), dropped.");
        MalformedFrames = meter.CreateCounter<long>("mcp.frames.frames.malformed", "{frame}", "Frames the profile could not use (for example a request without seq), dropped.");
        InboundRequestsRejected = meter.CreateCounter<long>("mcp.frames.requests.rejected", "{request}", "Received requests refused because the handler queue was full.");
        ControlRepliesDropped = meter.CreateCounter<long>("mcp.frames.control_replies.dropped", "{frame}", "Automatic replies (UNKNOWN_COMMAND, BUSY) not sent because their queue was full.");
        EventsDropped = meter.CreateCounter<long>("mcp.frames.events.dropped", "{message}", "One-way messages dropped by a full subscriber queue.");
        RequestDuration = meter.CreateHistogram<double>("mcp.frames.request.duration", "s", "Time from sending a request to its answer.");
        InFlight = meter.CreateUpDownCounter<long>("mcp.frames.requests.in_flight", "{request}", "Requests waiting for an answer.");
    }

    /// <summary>The telemetry on the shared static meter, used when no <see cref="IMeterFactory"/> is given.</summary>
    public static FramesTelemetry Shared => SharedInstance.Value;

    /// <summary>The activity source; one activity per request when someone listens.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>The meter.</summary>
    public Meter Meter { get; }

    internal Counter<long> RequestsStarted { get; }

    internal Counter<long> RequestsCompleted { get; }

    internal Counter<long> RequestsTimedOut { get; }

    internal Counter<long> RequestsTimedOutUnsent { get; }

    internal Counter<long> RequestsFailed { get; }

    internal Counter<long> UnmatchedResponses { get; }

    internal Counter<long> MalformedFrames { get; }

    internal Counter<long> InboundRequestsRejected { get; }

    internal Counter<long> ControlRepliesDropped { get; }

    internal Counter<long> EventsDropped { get; }

    internal Histogram<double> RequestDuration { get; }

    internal UpDownCounter<long> InFlight { get; }

    private enum Observed
    {
        FramesReceived,
        BytesReceived,
        FramesSent,
        BytesSent,
        Skipped,
        Oversize,
        BadChecksum,
        Stalled,
        Truncated,
    }

    /// <summary>Reports <paramref name="connection"/> on this meter's observable counters from now on.</summary>
    internal void Register(FrameConnection connection)
    {
        lock (_liveLock)
        {
            _live.Add(connection);
        }
    }

    /// <summary>Stops observing an ended connection; its final counts stay in its link's totals.</summary>
    internal void Unregister(FrameConnection connection)
    {
        lock (_liveLock)
        {
            if (!_live.Remove(connection))
            {
                return;
            }

            ConnectionStatistics statistics = connection.Statistics;
            if (!_ended.TryGetValue(connection.Name, out long[]? totals))
            {
                totals = new long[ObservedCount];
                _ended[connection.Name] = totals;
                _endedOrder.Enqueue(connection.Name);
                if (_endedOrder.Count > MaxEndedLinks)
                {
                    _ended.Remove(_endedOrder.Dequeue());
                }
            }

            for (int i = 0; i < totals.Length; i++)
            {
                totals[i] += Read(statistics, (Observed)i);
            }
        }
    }

    private static long Read(ConnectionStatistics statistics, Observed what) => what switch
    {
        Observed.FramesReceived => statistics.Receiver.Delivered,
        Observed.BytesReceived => statistics.Receiver.DeliveredBytes,
        Observed.FramesSent => statistics.FramesSent,
        Observed.BytesSent => statistics.BytesSent,
        Observed.Skipped => statistics.Receiver.SkippedBytes,
        Observed.Oversize => statistics.Receiver.Oversize,
        Observed.BadChecksum => statistics.Receiver.BadChecksum,
        Observed.Stalled => statistics.Receiver.Stalled,
        Observed.Truncated => statistics.Receiver.Truncated,
        _ => throw new ArgumentOutOfRangeException(nameof(what), what, null),
    };

    /// <summary>One measurement per link name: the ended connections' totals plus the live connections' counts.</summary>
    private List<Measurement<long>> Observe(Observed what)
    {
        var perLink = new Dictionary<string, long>();
        lock (_liveLock)
        {
            // Under the lock, so that a connection that ends meanwhile is counted once, either live or ended.
            foreach ((string link, long[] totals) in _ended)
            {
                perLink[link] = totals[(int)what];
            }

            foreach (FrameConnection connection in _live)
            {
                perLink[connection.Name] = perLink.GetValueOrDefault(connection.Name) + Read(connection.Statistics, what);
            }
        }

        var measurements = new List<Measurement<long>>(perLink.Count);
        foreach ((string link, long value) in perLink)
        {
            measurements.Add(new Measurement<long>(value, new KeyValuePair<string, object?>("mcp.link", link)));
        }

        return measurements;
    }

    /// <summary>The telemetry on the meter that <paramref name="factory"/> creates (one per factory).</summary>
    /// <param name="factory">The DI meter factory, or <see langword="null"/> for <see cref="Shared"/>.</param>
    /// <returns>The telemetry.</returns>
    public static FramesTelemetry For(IMeterFactory? factory)
    {
        if (factory is null)
        {
            return Shared;
        }

        lock (FactoryLock)
        {
            return PerFactory.GetValue(factory, static f => new FramesTelemetry(f.Create(Name)));
        }
    }
}
