namespace Mcp.Frames.Devices;

/// <summary>Per-device counters, summed over every connection the link has had.</summary>
public sealed record DeviceStatistics
{
    /// <summary>The round-trip time of the last answered request.</summary>
    public TimeSpan? RoundTrip { get; init; }

    /// <summary>Frames received.</summary>
    public long FramesReceived { get; init; }

    /// <summary>Bytes of frames received.</summary>
    public long BytesReceived { get; init; }

    /// <summary>Frames sent.</summary>
    public long FramesSent { get; init; }

    /// <summary>Bytes of frames sent.</summary>
    public long BytesSent { get; init; }

    /// <summary>Candidates rejected by the XOR check.</summary>
    public long ChecksumErrors { get; init; }

    /// <summary>Request attempts that timed out.</summary>
    public long Timeouts { get; init; }

    /// <summary>Answers that matched no request in flight (late, or with a wrong seq or command), dropped.</summary>
    public long UnmatchedAnswers { get; init; }

    /// <summary>Events lost (sequence gaps and reconnect gaps).</summary>
    public long LostEvents { get; init; }

    /// <summary>How many times the link connected.</summary>
    public int Connects { get; init; }
}
