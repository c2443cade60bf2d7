namespace Mcp.Frames.Resilience;

/// <summary>
/// Exponential backoff with full jitter: before attempt <c>n</c> (1-based) wait a uniformly random time in
/// <c>[0, min(Maximum, Initial × Multiplier^(n−1))]</c>. Full jitter spreads the reconnects of many gateways after a
/// shared outage instead of synchronising them.
/// </summary>
public sealed class BackoffPolicy
{
    /// <summary>The cap of the first delay (default 100 ms).</summary>
    public TimeSpan Initial { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The largest cap (default 30 s).</summary>
    public TimeSpan Maximum { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How much the cap grows per attempt (default 2).</summary>
    public double Multiplier { get; init; } = 2.0;

    private static readonly TimeSpan LongestDelay = TimeSpan.FromDays(24);

    /// <summary>
    /// Failed connect attempts in a row after which the link gives up and faults (a connection that opens starts the
    /// count over); <see langword="null"/> (the default) for unlimited.
    /// </summary>
    public int? MaxAttempts { get; init; }

    /// <summary>
    /// After a connection stayed up this long, the backoff starts over at <see cref="Initial"/> (default 10 s); after one
    /// that died sooner it keeps growing, so that a flapping link does not reconnect at the first step each time.
    /// </summary>
    public TimeSpan ResetAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Checks the settings and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Initial < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Initial), Initial, "Initial must not be negative.");
        }

        if (Maximum < Initial)
        {
            throw new ArgumentOutOfRangeException(nameof(Maximum), Maximum, $"Maximum must be at least Initial ({Initial}).");
        }

        if (Maximum > LongestDelay)
        {
            // A timer cannot wait longer (Task.Delay refuses about 49.7 days and more); a link would fail at its first wait.
            throw new ArgumentOutOfRangeException(nameof(Maximum), Maximum, $"Maximum must be at most {LongestDelay.TotalDays:0} days.");
        }

        if (!(Multiplier >= 1.0) || double.IsInfinity(Multiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(Multiplier), Multiplier, "Multiplier must be a finite number of at least 1.");
        }

        if (MaxAttempts is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1, or null for unlimited.");
        }

        if (ResetAfter < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ResetAfter), ResetAfter, "ResetAfter must not be negative.");
        }
    }

    /// <summary>The upper bound of the delay before attempt <paramref name="attempt"/>.</summary>
    /// <param name="attempt">1 for the first retry.</param>
    /// <returns>The cap.</returns>
    public TimeSpan Cap(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        double ticks = Initial.Ticks * Math.Pow(Multiplier, Math.Min(attempt - 1, 1000));
        return ticks >= Maximum.Ticks || double.IsInfinity(ticks) ? Maximum : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The delay before attempt <paramref name="attempt"/>: uniform in [0, <see cref="Cap"/>].</summary>
    /// <param name="attempt">1 for the first retry.</param>
    /// <param name="random">The jitter source (seed it in tests).</param>
    /// <returns>The delay.</returns>
    public TimeSpan NextDelay(int attempt, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return TimeSpan.FromTicks((long)(Cap(attempt).Ticks * random.NextDouble()));
    }
}
