using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace Mcp.Frames.Tests.Framing;

/// <summary>One <c>AdvanceTo</c> call, measured against the buffer of the read before it.</summary>
/// <param name="BufferLength">Length of the buffer the read returned.</param>
/// <param name="Consumed">Bytes consumed from its start.</param>
/// <param name="ExaminedToEnd">Whether everything was examined (so the next read waits for new bytes).</param>
/// <param name="WasCanceled">Whether the read before it was a cancelled (woken) read.</param>
/// <param name="WasCompleted">Whether the read before it saw the end of the stream.</param>
internal sealed record Advance(long BufferLength, long Consumed, bool ExaminedToEnd, bool WasCanceled, bool WasCompleted);

/// <summary>
/// A <see cref="PipeReader"/> over a real <see cref="Pipe"/> that records what its user does: each read, each
/// <c>AdvanceTo</c> (published on <see cref="Advances"/> so a test can await the read loop's progress instead of
/// sleeping), each <c>CancelPendingRead</c> and the completion.
/// </summary>
internal sealed class RecordingPipeReader(PipeReader inner) : PipeReader
{
    private readonly Channel<Advance> _advances = Channel.CreateUnbounded<Advance>();
    private ReadResult _last;
    private int _reads;
    private int _cancels;
    private int _completions;

    public ChannelReader<Advance> Advances => _advances.Reader;

    public int Reads => Volatile.Read(ref _reads);

    public int CancelPendingReadCalls => Volatile.Read(ref _cancels);

    public int Completions => Volatile.Read(ref _completions);

    public Exception? CompletionError { get; private set; }

    /// <summary>Waits (at most 5 s) for the read loop's next <c>AdvanceTo</c>.</summary>
    public async Task<Advance> NextAdvanceAsync() =>
        await _advances.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _reads);
        _last = await inner.ReadAsync(cancellationToken);
        return _last;
    }

    public override bool TryRead(out ReadResult result)
    {
        Interlocked.Increment(ref _reads);
        bool read = inner.TryRead(out result);
        if (read)
        {
            _last = result;
        }

        return read;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ReadOnlySequence<byte> buffer = _last.Buffer;
        var record = new Advance(
            buffer.Length,
            buffer.Slice(0, consumed).Length,
            buffer.Slice(examined).IsEmpty,
            _last.IsCanceled,
            _last.IsCompleted);
        inner.AdvanceTo(consumed, examined);
        _advances.Writer.TryWrite(record);
    }

    public override void CancelPendingRead()
    {
        Interlocked.Increment(ref _cancels);
        inner.CancelPendingRead();
    }

    public override void Complete(Exception? exception = null)
    {
        Interlocked.Increment(ref _completions);
        CompletionError = exception;
        inner.Complete(exception);
        _advances.Writer.TryComplete();
    }
}
