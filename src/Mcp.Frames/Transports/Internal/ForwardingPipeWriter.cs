using System.Buffers;
using System.IO.Pipelines;

namespace Mcp.Frames.Transports;

/// <summary>
/// A pipe writer that hands buffers and commits to an inner pipe's writer and adds its own checks or work around
/// the flush and the completion.
/// </summary>
/// <remarks>This file is compiled into Mcp.Frames and, as a linked file, into Mcp.Frames.Serial.</remarks>
internal abstract class ForwardingPipeWriter(PipeWriter inner) : PipeWriter
{
    public PipeWriter Inner { get; } = inner;

    public override bool CanGetUnflushedBytes => Inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => Inner.UnflushedBytes;

    public override void Advance(int bytes) => Inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => Inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => Inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => Inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => Inner.Complete(exception);

    /// <summary>Copies <paramref name="source"/> into the inner pipe and flushes through this writer's own flush.</summary>
    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        BeforeWrite();
        Inner.Write(source.Span);
        return FlushAsync(cancellationToken);
    }

    /// <summary>A check made before bytes are copied by <see cref="WriteAsync"/>; nothing by default.</summary>
    protected virtual void BeforeWrite()
    {
    }
}
