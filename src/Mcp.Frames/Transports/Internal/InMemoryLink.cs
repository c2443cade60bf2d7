using System.Buffers;
using System.IO.Pipelines;

namespace Mcp.Frames.Transports;

/// <summary>The state both ends of an in-memory link share: whether, and why, it was broken.</summary>
internal sealed class InMemoryLink
{
    private Exception? _cause;

    public InMemoryTransport[] Ends { get; set; } = [];

    /// <summary>The reason given to <see cref="Break"/>; a placeholder exception when none was given.</summary>
    public Exception? Cause => Volatile.Read(ref _cause);

    public void Break(Exception? cause)
    {
        if (Interlocked.CompareExchange(ref _cause, cause ?? new BrokenLinkMarker(), null) is not null)
        {
            return;
        }

        // CancelPendingRead/CancelPendingFlush are the thread-safe ways to wake a pipe's other user.
        foreach (InMemoryTransport end in Ends)
        {
            end.WakeUp();
        }
    }

    public TransportException? ExceptionFor(InMemoryTransport end)
    {
        Exception? cause = Cause;
        return cause is null ? null : end.BrokenException(cause is BrokenLinkMarker ? null : cause);
    }

    private sealed class BrokenLinkMarker : Exception
    {
    }
}

/// <summary>A pipe reader that fails with the link's <see cref="TransportException"/> once the link is broken.</summary>
internal sealed class LinkPipeReader(PipeReader inner, InMemoryLink link, InMemoryTransport owner) : PipeReader
{
    public PipeReader Inner { get; } = inner;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfBroken();
        ValueTask<ReadResult> pending = Inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            return new ValueTask<ReadResult>(Check(pending.Result));
        }

        return AwaitAsync(pending);
    }

    public override bool TryRead(out ReadResult result)
    {
        ThrowIfBroken();
        if (!Inner.TryRead(out result))
        {
            return false;
        }

        result = Check(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => Inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => Inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => Inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => Inner.Complete(exception);

    private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> pending) => Check(await pending.ConfigureAwait(false));

    private ReadResult Check(ReadResult result)
    {
        if (link.ExceptionFor(owner) is { } broken)
        {
            // End the read operation the inner pipe started before reporting the break.
            Inner.AdvanceTo(result.Buffer.Start);
            throw broken;
        }

        return result;
    }

    private void ThrowIfBroken()
    {
        if (link.ExceptionFor(owner) is { } broken)
        {
            throw broken;
        }
    }
}

/// <summary>A pipe writer whose flushes fail with the link's <see cref="TransportException"/> once the link is broken.</summary>
internal sealed class LinkPipeWriter(PipeWriter inner, InMemoryLink link, InMemoryTransport owner) : ForwardingPipeWriter(inner)
{
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfBroken();
        ValueTask<FlushResult> pending = Inner.FlushAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            FlushResult result = pending.Result;
            ThrowIfBroken();
            return new ValueTask<FlushResult>(result);
        }

        return AwaitAsync(pending);
    }

    protected override void BeforeWrite() => ThrowIfBroken();

    private async ValueTask<FlushResult> AwaitAsync(ValueTask<FlushResult> pending)
    {
        FlushResult result = await pending.ConfigureAwait(false);
        ThrowIfBroken();
        return result;
    }

    private void ThrowIfBroken()
    {
        if (link.ExceptionFor(owner) is { } broken)
        {
            throw broken;
        }
    }
}
