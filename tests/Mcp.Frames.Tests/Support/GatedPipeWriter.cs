using System.IO.Pipelines;

namespace Mcp.Frames.Tests.Support;

/// <summary>
/// A <see cref="PipeWriter"/> wrapper that counts flushes and can hold them: while held, a flush waits until the test
/// opens the gate (or the flush is cancelled), which makes "a flush in progress" a state a test can set up exactly.
/// </summary>
public sealed class GatedPipeWriter(PipeWriter inner) : PipeWriter
{
    private TaskCompletionSource? _gate;
    private TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _flushes;

    public int Flushes => Volatile.Read(ref _flushes);

    public TaskCompletionSource FlushEntered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Flushes from now on wait until <see cref="Open"/>.</summary>
    public void Hold()
    {
        FlushEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    public void Open() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _flushes);
        if (Volatile.Read(ref _gate) is { } gate)
        {
            FlushEntered.TrySetResult();
            Task cancelled = Volatile.Read(ref _cancelled).Task;
            await Task.WhenAny(gate.Task, cancelled).WaitAsync(cancellationToken);
            if (cancelled.IsCompleted)
            {
                Volatile.Write(ref _cancelled, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                return new FlushResult(isCanceled: true, isCompleted: false);
            }
        }

        return await inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush()
    {
        Volatile.Read(ref _cancelled).TrySetResult();
        inner.CancelPendingFlush();
    }

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}
