namespace Mcp.Frames.Framing;

/// <summary>
/// What a <see cref="FrameParser"/> has seen since it was created (PROTOCOL.md §1.1). Every byte the parser
/// discards is counted by exactly one of these.
/// </summary>
/// <param name="SkippedBytes">Bytes discarded while hunting for a header (rule 1), including the
/// non-header bytes of candidates that were discarded and re-scanned.</param>
/// <param name="Oversize">Candidates whose <c>len</c> exceeded the payload limit (rule 2).</param>
/// <param name="BadChecksum">Candidates whose XOR check failed (rule 3).</param>
/// <param name="Truncated">Incomplete candidates discarded at the end of the stream (rule 6).</param>
/// <param name="Stalled">Incomplete candidates discarded after the stall timeout (rule 5).</param>
/// <param name="Delivered">Frames delivered (rule 4).</param>
/// <param name="DeliveredBytes">Bytes of delivered frames, headers and checks included.</param>
public readonly record struct FrameParserCounters(
    long SkippedBytes,
    long Oversize,
    long BadChecksum,
    long Truncated,
    long Stalled,
    long Delivered,
    long DeliveredBytes);
