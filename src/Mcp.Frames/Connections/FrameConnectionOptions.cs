using System.Diagnostics.Metrics;
using Mcp.Frames.Framing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.Connections;

/// <summary>Settings of a <see cref="FrameConnection"/>. Checked by <see cref="Validate"/> when the connection is created.</summary>
public sealed class FrameConnectionOptions
{
    /// <summary>The link's name in messages, logs and metrics; defaults to the transport's name.</summary>
    public string? Name { get; set; }

    /// <summary>The link's payload limit (PROTOCOL.md §1), 0–65535, default 256. HELLO may lower it later.</summary>
    public int MaxPayloadLength { get; set; } = FrameFormat.DefaultMaxPayloadLength;

    /// <summary>Stall recovery (PROTOCOL.md §1.1 rule 5); <see langword="null"/> takes the transport's default (on for serial, off for TCP).</summary>
    public TimeSpan? StallTimeout { get; set; }

    /// <summary>The default time to wait for an answer, per attempt (default 2 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests in flight at once, 1–256 (default 32). Callers beyond it wait, within their deadline.</summary>
    public int MaxInFlight { get; set; } = 32;

    /// <summary>How often to send a heartbeat request; <see langword="null"/> (the default) for none.</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>
    /// The link is dead when nothing was received for <see cref="HeartbeatInterval"/> × this, 2–1000 (default 3). The
    /// first heartbeat goes out one interval after the start, so with 1 a healthy link would end before it could answer.
    /// </summary>
    public int HeartbeatMissedLimit { get; set; } = 3;

    /// <summary>Request handlers running at once on the device side (default 4). Each handler call runs off the read loop.</summary>
    public int HandlerConcurrency { get; set; } = 4;

    /// <summary>Received requests waiting for a handler (default 64). Beyond it a request is answered BUSY (or dropped), and counted.</summary>
    public int InboundRequestQueueCapacity { get; set; } = 64;

    /// <summary>The clock for timeouts, heartbeat and stall recovery (tests use a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where logs go (default: nowhere).</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Creates the <c>Mcp.Frames</c> meter when dependency injection is used; otherwise a shared static meter is used.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Checks every setting and throws an exception naming the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentNullException">A required setting is null.</exception>
    public void Validate()
    {
        FrameFormat.ValidateMaxPayloadLength(MaxPayloadLength, nameof(MaxPayloadLength));
        RequireDuration(StallTimeout, nameof(StallTimeout));
        RequireDuration(RequestTimeout, nameof(RequestTimeout));
        RequireDuration(HeartbeatInterval, nameof(HeartbeatInterval));
        RequireRange(MaxInFlight, 1, 256, nameof(MaxInFlight));
        RequireRange(HeartbeatMissedLimit, 2, 1000, nameof(HeartbeatMissedLimit));
        RequireRange(HandlerConcurrency, 1, 1024, nameof(HandlerConcurrency));
        RequireRange(InboundRequestQueueCapacity, 1, 1 << 20, nameof(InboundRequestQueueCapacity));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }

    private static void RequireDuration(TimeSpan? value, string name)
    {
        if (value is { } v && (v <= TimeSpan.Zero || v > RequestOptions.MaxTimeout))
        {
            throw new ArgumentOutOfRangeException(name, v, $"{name} must be positive and at most {RequestOptions.MaxTimeout.TotalDays:0} days; {v} was given.");
        }
    }

    private static void RequireRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}; {value} was given.");
        }
    }
}
