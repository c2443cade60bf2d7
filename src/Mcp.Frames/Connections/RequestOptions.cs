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

    /// <summary>
    /// The wait before the first retry; it doubles with each further retry up to <see cref="MaxRetryDelay"/> (or this,
    /// if longer). Default 20 ms; at most <see cref="MaxTimeout"/>.
    /// </summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Where the doubling of <see cref="RetryBackoff"/> stops: 30 s.</summary>
    public static TimeSpan MaxRetryDelay { get; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest timeout or backoff accepted: 24 days. A request's match key stays retired for two timeouts after it
    /// is given up, and the platform's timers hold at most about 49.7 days.
    /// </summary>
    public static TimeSpan MaxTimeout { get; } = TimeSpan.FromDays(24);

    /// <summary>Checks the settings and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Timeout is { } t && (t <= TimeSpan.Zero || t > MaxTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), t, $"Timeout must be positive and at most {MaxTimeout.TotalDays:0} days, or null for the connection's default; {t} was given.");
        }

        if (MaxRetries is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "MaxRetries must be between 0 and 100.");
        }

        if (RetryBackoff < TimeSpan.Zero || RetryBackoff > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryBackoff), RetryBackoff, $"RetryBackoff must be between 0 and {MaxTimeout.TotalDays:0} days; {RetryBackoff} was given.");
        }
    }

    /// <summary>The wait before retry number <paramref name="attempt"/> + 1: <see cref="RetryBackoff"/> × 2^attempt, capped.</summary>
    /// <param name="attempt">Retries made so far.</param>
    /// <returns>The wait.</returns>
    internal TimeSpan GetRetryDelay(int attempt)
    {
        TimeSpan cap = RetryBackoff > MaxRetryDelay ? RetryBackoff : MaxRetryDelay;
        double ticks = RetryBackoff.Ticks * Math.Pow(2, attempt);
        return ticks >= cap.Ticks ? cap : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Default settings: connection timeout, not idempotent, two retries on BUSY.</summary>
    public static RequestOptions Default { get; } = new();

    /// <summary>Settings for an idempotent request with the connection's timeout.</summary>
    public static RequestOptions IdempotentDefault { get; } = new() { Idempotent = true };
}
