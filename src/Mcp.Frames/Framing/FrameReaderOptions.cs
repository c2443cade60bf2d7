namespace Mcp.Frames.Framing;

/// <summary>Options of a <see cref="FrameReader"/>.</summary>
public sealed class FrameReaderOptions
{
    /// <summary>
    /// PROTOCOL.md §1.1 rule 5: how long an incomplete candidate may wait for its next byte before its header is
    /// discarded and the buffered bytes re-scanned. <see langword="null"/> (the default) disables stall recovery,
    /// as on TCP.
    /// </summary>
    public TimeSpan? StallTimeout { get; set; }

    /// <summary>The clock for the stall timeout. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (StallTimeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallTimeout), t, "StallTimeout must be positive, or null to disable stall recovery.");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
