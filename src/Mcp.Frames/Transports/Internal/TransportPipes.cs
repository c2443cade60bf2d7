using System.IO.Pipelines;

namespace Mcp.Frames.Transports;

/// <summary>
/// Pipe settings shared by every transport: bounded buffers (a reader that stops reading pauses the writer instead
/// of growing memory without limit) and no synchronization context (library code).
/// </summary>
/// <remarks>This file is compiled into Mcp.Frames and, as a linked file, into Mcp.Frames.Serial.</remarks>
internal static class TransportPipes
{
    /// <summary>Bytes buffered in one direction before the writer is paused.</summary>
    public const int DefaultPauseThreshold = 1024 * 1024;

    /// <summary>The smallest block a pipe rents, by default.</summary>
    public const int SegmentSize = 16 * 1024;

    public static PipeOptions Create(int pauseThreshold = DefaultPauseThreshold, int segmentSize = SegmentSize, PipeScheduler? readerScheduler = null, PipeScheduler? writerScheduler = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pauseThreshold, 2);
        return new PipeOptions(
            pool: null,
            readerScheduler: readerScheduler ?? PipeScheduler.ThreadPool,
            writerScheduler: writerScheduler ?? PipeScheduler.ThreadPool,
            pauseWriterThreshold: pauseThreshold,
            resumeWriterThreshold: pauseThreshold / 2,
            minimumSegmentSize: Math.Min(segmentSize, Math.Max(256, pauseThreshold)),
            useSynchronizationContext: false);
    }
}
