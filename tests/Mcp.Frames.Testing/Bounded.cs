namespace Mcp.Frames.Testing;

/// <summary>Every wait in the tests is bounded: long enough never to fire on a healthy run.</summary>
public static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Timeout);

    public static Task Within(this ValueTask task) => task.AsTask().WaitAsync(Timeout);

    /// <summary>A token source that cancels after <see cref="Timeout"/>.</summary>
    public static CancellationTokenSource Deadline() => new(Timeout);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, for what another thread does (a log line, a counter), checking
    /// every millisecond, at most <paramref name="limit"/> (default <see cref="Timeout"/>).
    /// </summary>
    /// <exception cref="TimeoutException">It did not hold in time; the message says what was awaited.</exception>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        using var deadline = new CancellationTokenSource(limit ?? Timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(1, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }
        }
    }
}
