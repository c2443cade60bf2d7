namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>Every wait in the tests is bounded.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Timeout);

    public static Task Within(this Task task) => task.WaitAsync(Timeout);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Timeout);

    public static Task Within(this ValueTask task) => task.AsTask().WaitAsync(Timeout);

    public static CancellationTokenSource Deadline() => new(Timeout);
}
