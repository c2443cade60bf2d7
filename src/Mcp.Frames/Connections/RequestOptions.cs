namespace Mcp.Frames.Connections;

/// <summary>Per-request settings. Unset values come from <see cref="FrameConnectionOptions"/>.</summary>
public sealed class RequestOptions
{
    /// <summary>How long to wait for the answer to one attempt; <see langword="null"/> for the connection's default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Whether the request may safely be sent again (reads, PING, HELLO). Only idempotent requests are retried after a
    /// timeout; any request is retried after a BUSY answer.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>How many more attempts after the first (for timeouts when <see cref="Idempotent"/>, and for BUSY); default 2.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>The wait before the first retry; it doubles with each further retry (default 20 ms).</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Checks the settings and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Timeout is { } t && (t <= TimeSpan.Zero || t == System.Threading.Timeout.InfiniteTimeSpan))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), t, "Timeout must be positive and finite, or null for the connection's default.");
        }

        if (MaxRetries is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be between 0 and 100.");
        }

        if (RetryBackoff < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryBackoff), RetryBackoff, "RetryBackoff must not be negative.");
        }
    }

    /// <summary>Default settings: connection timeout, not idempotent, two retries on BUSY.</summary>
    public static RequestOptions Default { get; } = new();

    /// <summary>Settings for an idempotent request with the connection's timeout.</summary>
    public static RequestOptions IdempotentDefault { get; } = new() { Idempotent = true };
}
