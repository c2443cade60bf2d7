namespace Mcp.Frames.Connections;

/// <summary>
/// Lets a warning that a peer can cause at will (one per frame it sends) through once per interval, with the count of
/// those held back since, so that a flood is reported without the log growing as fast as the flood.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly long _interval = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _next = long.MinValue;
    private long _held;

    /// <summary>Whether to log this occurrence; <paramref name="heldBack"/> is how many were not logged since the last one.</summary>
    public bool ShouldLog(out long heldBack)
    {
        long now = time.GetTimestamp();
        long next = Volatile.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + _interval, next) == next)
        {
            heldBack = Interlocked.Exchange(ref _held, 0);
            return true;
        }

        Interlocked.Increment(ref _held);
        heldBack = 0;
        return false;
    }
}
