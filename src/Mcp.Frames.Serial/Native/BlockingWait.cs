namespace Mcp.Frames.Serial.Native;

/// <summary>
/// Blocks one dedicated thread until a pipe operation completes: no spinning first (on a small machine a spinning
/// thread takes the core the other end of the link needs), and no <see cref="Task"/> allocated per wait.
/// </summary>
/// <remarks>The pipe must resume its continuations inline (<see cref="System.IO.Pipelines.PipeScheduler.Inline"/>):
/// the continuation only sets an event.</remarks>
internal sealed class BlockingWait : IDisposable
{
    private readonly ManualResetEventSlim _completed = new(initialState: false, spinCount: 0);
    private readonly Action _signal;

    public BlockingWait() => _signal = _completed.Set;

    /// <summary>Waits for <paramref name="pending"/> and returns its result.</summary>
    public T Wait<T>(ValueTask<T> pending)
    {
        if (!pending.IsCompleted)
        {
            _completed.Reset();
            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_signal);
            _completed.Wait();
        }

        return pending.GetAwaiter().GetResult();
    }

    public void Dispose() => _completed.Dispose();
}
