using Mcp.Frames.Framing;

namespace Mcp.Frames.Connections;

/// <summary>A snapshot of what one connection has done since it started.</summary>
public sealed record ConnectionStatistics
{
    /// <summary>The receiver's counters: frames delivered, and every discarded candidate by rule.</summary>
    public FrameParserCounters Receiver { get; init; }

    /// <summary>Frames written.</summary>
    public long FramesSent { get; init; }

    /// <summary>Bytes of frames written.</summary>
    public long BytesSent { get; init; }

    /// <summary>Request attempts sent (their frame committed to the transport; a request refused or given up before that is not one).</summary>
    public long RequestsSent { get; init; }

    /// <summary>Requests answered (any status).</summary>
    public long RequestsAnswered { get; init; }

    /// <summary>Request attempts sent that got no answer in time (a part of <see cref="RequestsSent"/>).</summary>
    public long RequestsTimedOut { get; init; }

    /// <summary>
    /// Requests whose timeout ran out while they waited for a free slot (<see cref="FrameConnectionOptions.MaxInFlight"/>),
    /// a match key or the writer, so they were never sent (not a part of <see cref="RequestsSent"/>): a sign of a
    /// saturated link.
    /// </summary>
    public long RequestsTimedOutUnsent { get; init; }

    /// <summary>Responses that matched no request in flight, dropped.</summary>
    public long UnmatchedResponses { get; init; }

    /// <summary>Frames the profile could not use, dropped.</summary>
    public long MalformedFrames { get; init; }

    /// <summary>Received requests refused because the handler queue was full.</summary>
    public long InboundRequestsRejected { get; init; }

    /// <summary>
    /// Automatic replies (UNKNOWN_COMMAND, BUSY) not sent because their queue was full: the writer was behind while
    /// the peer kept sending requests that get one. The peer's request then times out.
    /// </summary>
    public long ControlRepliesDropped { get; init; }

    /// <summary>Received requests handled.</summary>
    public long InboundRequestsHandled { get; init; }

    /// <summary>One-way messages received.</summary>
    public long OneWayReceived { get; init; }

    /// <summary>One-way messages dropped by full subscriber queues.</summary>
    public long EventsDropped { get; init; }

    /// <summary>The round-trip time of the last answered request, if any.</summary>
    public TimeSpan? LastRoundTrip { get; init; }
}
