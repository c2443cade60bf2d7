using System.Buffers;
using System.IO.Pipelines;

namespace Mcp.Frames.Tests.Support;

/// <summary>
/// A <see cref="PipeReader"/> wrapper that tells a test how far its reader has got (bytes examined and consumed, as
/// absolute stream offsets), and that can make the link fail or end under the reader, as a transport would.
/// </summary>
/// <remarks>
/// A connection's read loop examines every byte it has parsed before it calls <c>AdvanceTo</c>, and arms its stall
/// timer before that, so "examined reached N" is an exact event to wait for before advancing a fake clock.
/// </remarks>
public sealed class ObservedPipeReader(PipeReader inner) : PipeReader
{
    private readonly Lock _lock = new();
    private readonly List<(long Offset, bool Examined, TaskCompletionSource Signal)> _waiters = [];
    private ReadOnlySequence<byte> _last;
    private long _consumed;
    private long _examined;
    private Exception? _fault;
    private bool _ended;

    public long Consumed => Volatile.Read(ref _consumed);

    public long Examined => Volatile.Read(ref _examined);

    /// <summary>Completes when the reader has examined at least <paramref name="offset"/> bytes of the stream.</summary>
    public Task WaitForExaminedAsync(long offset) => Wait(offset, examined: true);

    /// <summary>Completes when the reader has consumed at least <paramref name="offset"/> bytes of the stream.</summary>
    public Task WaitForConsumedAsync(long offset) => Wait(offset, examined: false);

    /// <summary>The link fails: the pending (or next) read throws <paramref name="error"/>.</summary>
    public void Fail(Exception error)
    {
        Volatile.Write(ref _fault, error);
        inner.CancelPendingRead();
    }

    /// <summary>The link ends: the pending (or next) read reports the end of the stream.</summary>
    public void End()
    {
        Volatile.Write(ref _ended, true);
        inner.CancelPendingRead();
    }

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ReadResult result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        return Observe(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        result = Observe(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long consumedBytes = _last.Slice(_last.Start, consumed).Length;
        long examinedBytes = _last.Slice(_last.Start, examined).Length;
        inner.AdvanceTo(consumed, examined);
        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            long start = _consumed;
            Volatile.Write(ref _consumed, start + consumedBytes);
            Volatile.Write(ref _examined, Math.Max(_examined, start + examinedBytes));
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                (long offset, bool wantsExamined, TaskCompletionSource signal) = _waiters[i];
                if ((wantsExamined ? _examined : _consumed) >= offset)
                {
                    (ready ??= []).Add(signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        ready?.ForEach(s => s.TrySetResult());
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private ReadResult Observe(ReadResult result)
    {
        if (Volatile.Read(ref _fault) is { } fault)
        {
            inner.AdvanceTo(result.Buffer.Start);
            throw fault;
        }

        _last = result.Buffer;
        if (Volatile.Read(ref _ended))
        {
            return new ReadResult(result.Buffer, isCanceled: false, isCompleted: true);
        }

        return result;
    }

    private Task Wait(long offset, bool examined)
    {
        lock (_lock)
        {
            if ((examined ? _examined : _consumed) >= offset)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((offset, examined, signal));
            return signal.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
