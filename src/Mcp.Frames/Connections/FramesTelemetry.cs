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
    private static readonly Lock LiveLock = new();
    private static readonly HashSet<FrameConnection> Live = [];

    private FramesTelemetry(Meter meter)
    {
        Meter = meter;

        // Frame and byte counts are read from each live connection's own counters when metrics are collected,
        // so the receive and send paths pay nothing per frame for them.
        meter.CreateObservableCounter("mcp.frames.frames.received", () => Observe(c => c.ReceiverCounters.Delivered), "{frame}", "Frames delivered by the receiver.");
        meter.CreateObservableCounter("mcp.frames.bytes.received", () => Observe(c => c.ReceiverCounters.DeliveredBytes), "By", "Bytes of delivered frames.");
        meter.CreateObservableCounter("mcp.frames.frames.sent", () => Observe(c => c.Statistics.FramesSent), "{frame}", "Frames written.");
        meter.CreateObservableCounter("mcp.frames.bytes.sent", () => Observe(c => c.Statistics.BytesSent), "By", "Bytes of frames written.");
        meter.CreateObservableCounter("mcp.frames.receiver.skipped", () => Observe(c => c.ReceiverCounters.SkippedBytes), "By", "Bytes discarded while hunting for a header (PROTOCOL.md §1.1 rule 1).");
        meter.CreateObservableCounter("mcp.frames.receiver.oversize", () => Observe(c => c.ReceiverCounters.Oversize), "{candidate}", "Candidates rejected for len over the limit (rule 2).");
        meter.CreateObservableCounter("mcp.frames.receiver.bad_checksum", () => Observe(c => c.ReceiverCounters.BadChecksum), "{candidate}", "Candidates rejected by the XOR check (rule 3).");
        meter.CreateObservableCounter("mcp.frames.receiver.stalled", () => Observe(c => c.ReceiverCounters.Stalled), "{candidate}", "Incomplete candidates discarded by stall recovery (rule 5).");
        meter.CreateObservableCounter("mcp.frames.receiver.truncated", () => Observe(c => c.ReceiverCounters.Truncated), "{candidate}", "Incomplete candidates at end of stream (rule 6).");
        RequestsStarted = meter.CreateCounter<long>("mcp.frames.requests.started", "{request}", "Requests sent (each attempt).");
        RequestsCompleted = meter.CreateCounter<long>("mcp.frames.requests.completed", "{request}", "Requests answered OK.");
        RequestsTimedOut = meter.CreateCounter<long>("mcp.frames.requests.timed_out", "{request}", "Request attempts that got no answer in time.");
        RequestsFailed = meter.CreateCounter<long>("mcp.frames.requests.failed", "{request}", "Requests that ended with an error status, link loss or cancellation.");
        UnmatchedResponses = meter.CreateCounter<long>("mcp.frames.responses.unmatched", "{frame}", "Responses that matched no request in flight (late or bogus), dropped.");
        MalformedFrames = meter.CreateCounter<long>("mcp.frames.frames.malformed", "{frame}", "Frames the profile could not use (for example a request without seq), dropped.");
        InboundRequestsRejected = meter.CreateCounter<long>("mcp.frames.requests.rejected", "{request}", "Received requests refused because the handler queue was full.");
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

    internal Counter<long> RequestsFailed { get; }

    internal Counter<long> UnmatchedResponses { get; }

    internal Counter<long> MalformedFrames { get; }

    internal Counter<long> InboundRequestsRejected { get; }

    internal Counter<long> EventsDropped { get; }

    internal Histogram<double> RequestDuration { get; }

    internal UpDownCounter<long> InFlight { get; }

    internal static void Register(FrameConnection connection)
    {
        lock (LiveLock)
        {
            Live.Add(connection);
        }
    }

    internal static void Unregister(FrameConnection connection)
    {
        lock (LiveLock)
        {
            Live.Remove(connection);
        }
    }

    private static IEnumerable<Measurement<long>> Observe(Func<FrameConnection, long> read)
    {
        FrameConnection[] live;
        lock (LiveLock)
        {
            live = [.. Live];
        }

        foreach (FrameConnection connection in live)
        {
            yield return new Measurement<long>(read(connection), new KeyValuePair<string, object?>("mcp.link", connection.Name));
        }
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
