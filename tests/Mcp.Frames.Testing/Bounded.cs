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
}
