using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mcp.Frames.Framing;

/// <summary>
/// The receiver of PROTOCOL.md §1.1: turns a byte stream into frames and recovers from garbage.
/// Pure: no I/O, no clock, no logging. Not thread-safe: one parser per link, used by its read loop.
/// </summary>
/// <remarks>
/// <para>
/// Rules 1–4 and 6 are applied by <see cref="TryParse(ref ReadOnlySequence{byte}, out Frame, bool)"/> and
/// <see cref="ParseAll{TSink}(ref ReadOnlySequence{byte}, ref TSink, bool)"/>. Rule 5 (stall recovery) needs a clock,
/// so it belongs to the caller: after a parse, <see cref="HasPendingCandidate"/> says whether the unconsumed
/// bytes start with an incomplete candidate, and <see cref="DiscardStalledCandidate"/> performs the rule's
/// "discard the header byte and re-scan" step.
/// </para>
/// <para>
/// A frame that lies inside one buffer segment is delivered as a view into that segment (the fast path, a plain
/// span loop). A frame that straddles segments is copied into a reassembly buffer owned by the parser, sized by the
/// payload limit (never by an unchecked <c>len</c>), allocated once.
/// </para>
/// </remarks>
public sealed class FrameParser
{
    private int _maxPayloadLength;
    private byte[]? _reassembly;
    private long _skipped;
    private long _oversize;
    private long _badChecksum;
    private long _truncated;
    private long _stalled;
    private long _delivered;
    private long _deliveredBytes;

    /// <summary>Creates a parser.</summary>
    /// <param name="maxPayloadLength">The link's payload limit, 0–65535 (default 256).</param>
    /// <exception cref="ArgumentOutOfRangeException">The limit is outside 0–65535.</exception>
    public FrameParser(int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        _maxPayloadLength = FrameFormat.ValidateMaxPayloadLength(maxPayloadLength);
    }

    /// <summary>
    /// The link's payload limit (PROTOCOL.md §1, rule 2). It may change while the link runs (after HELLO
    /// negotiates a smaller one); the new value applies from the next candidate on.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0–65535.</exception>
    public int MaxPayloadLength
    {
        get => _maxPayloadLength;
        set => _maxPayloadLength = FrameFormat.ValidateMaxPayloadLength(value, nameof(MaxPayloadLength));
    }

    /// <summary>
    /// <see langword="true"/> when the last parse stopped at an incomplete candidate: the unconsumed bytes start
    /// with a <c>0x5A</c> that waits for more bytes. The caller's stall timer (rule 5) runs while this holds.
    /// </summary>
    public bool HasPendingCandidate { get; private set; }

    /// <summary>A snapshot of the counters. Each field is read atomically; fields may be from slightly different moments.</summary>
    public FrameParserCounters Counters => new(
        Volatile.Read(ref _skipped),
        Volatile.Read(ref _oversize),
        Volatile.Read(ref _badChecksum),
        Volatile.Read(ref _truncated),
        Volatile.Read(ref _stalled),
        Volatile.Read(ref _delivered),
        Volatile.Read(ref _deliveredBytes));

    /// <summary>
    /// Finds the next frame in <paramref name="buffer"/>.
    /// </summary>
    /// <param name="buffer">The received bytes. On return it is sliced to what was not consumed: empty, or
    /// (when <see cref="HasPendingCandidate"/>) starting at an incomplete candidate, or following the frame returned.</param>
    /// <param name="frame">The frame found. Its payload is valid until the next call on this parser or until the
    /// buffer's memory is released, whichever comes first.</param>
    /// <param name="isCompleted"><see langword="true"/> when no more bytes will ever follow (end of stream): an
    /// incomplete candidate is then discarded as truncated (rule 6) and the bytes after its header re-scanned.</param>
    /// <returns><see langword="true"/> when a frame was found.</returns>
    public bool TryParse(ref ReadOnlySequence<byte> buffer, out Frame frame, bool isCompleted = false)
    {
        var sink = new FirstFrameSink();
        ParseAll(ref buffer, ref sink, isCompleted);
        frame = sink.Frame;
        return sink.Found;
    }

    /// <summary>
    /// Delivers every frame in <paramref name="buffer"/> to <paramref name="sink"/>, in order, until the bytes run out
    /// or the sink asks to stop.
    /// </summary>
    /// <typeparam name="TSink">The sink; a struct sink is inlined into the loop.</typeparam>
    /// <param name="buffer">The received bytes; on return, sliced to what was not consumed (see <see cref="TryParse"/>).</param>
    /// <param name="sink">Receives each frame; the payload is valid only during the call.</param>
    /// <param name="isCompleted"><see langword="true"/> at the end of the stream (rule 6).</param>
    /// <returns>The number of frames delivered.</returns>
    public int ParseAll<TSink>(ref ReadOnlySequence<byte> buffer, ref TSink sink, bool isCompleted = false)
        where TSink : IFrameSink, allows ref struct
    {
        int count = 0;
        HasPendingCandidate = false;
        int max = _maxPayloadLength;

        while (!buffer.IsEmpty)
        {
            ReadOnlyMemory<byte> memory = buffer.First;
            ReadOnlySpan<byte> span = memory.Span;
            int pos = 0;

            // Fast path: a plain span loop over the first segment (PROTOCOL.md §1.1 rules 1-4).
            while (true)
            {
                if ((uint)pos >= (uint)span.Length)
                {
                    break;
                }

                // Rule 1. In a clean stream the next frame starts right here: test that byte first, because an
                // IndexOf call per frame cost more than the rest of the loop for small frames (bench/README.md).
                if (span[pos] != FrameFormat.Header)
                {
                    int rel = span.Slice(pos).IndexOf(FrameFormat.Header);
                    if (rel < 0)
                    {
                        _skipped += span.Length - pos; // rule 1
                        pos = span.Length;
                        break;
                    }

                    _skipped += rel;
                    pos += rel;
                }

                int available = span.Length - pos;
                if (available < FrameFormat.PrefixLength)
                {
                    break;
                }

                int len = span[pos + 2] | (span[pos + 3] << 8);
                if (len > max)
                {
                    _oversize++; // rule 2: drop only the header byte
                    pos++;
                    continue;
                }

                int total = len + FrameFormat.Overhead;
                if (available < total)
                {
                    break;
                }

                ReadOnlySpan<byte> candidate = span.Slice(pos, total);
                if (FrameChecksum.Compute(candidate) != 0)
                {
                    _badChecksum++; // rule 3: drop only the header byte, re-scan inside the candidate
                    pos++;
                    continue;
                }

                _delivered++;
                _deliveredBytes += total;
                count++;
                var frame = new Frame(span[pos + 1], memory.Slice(pos + FrameFormat.PrefixLength, len));
                pos += total;
                if (!sink.OnFrame(in frame))
                {
                    buffer = buffer.Slice(pos);
                    return count;
                }
            }

            if (pos == span.Length)
            {
                // Segment exhausted: go on with the next one. An empty first segment (a sequence may start with one)
                // must be stepped over by position: ReadOnlySequence.Slice(0) returns the same sequence, and this
                // loop would never end.
                buffer = pos == 0 ? SkipFirstSegment(buffer) : buffer.Slice(pos);
                continue;
            }

            // The candidate at pos does not fit in this segment.
            buffer = buffer.Slice(pos);
            switch (TryReassemble(ref buffer, max, out Frame straddling))
            {
                case Reassembly.Delivered:
                    count++;
                    if (!sink.OnFrame(in straddling))
                    {
                        return count;
                    }

                    continue;
                case Reassembly.Rejected:
                    continue;
                default:
                    if (isCompleted)
                    {
                        _truncated++; // rule 6: drop the header byte, re-scan what it claimed
                        buffer = buffer.Slice(1);
                        continue;
                    }

                    HasPendingCandidate = true;
                    return count;
            }
        }

        return count;
    }

    /// <summary>
    /// Rule 5 of PROTOCOL.md §1.1: the pending candidate waited too long for its bytes. Discards its header byte,
    /// counts it as stalled, and leaves <paramref name="buffer"/> positioned to be parsed again.
    /// </summary>
    /// <param name="buffer">The unconsumed bytes from the last parse.</param>
    /// <returns><see langword="true"/> when a candidate was discarded; <see langword="false"/> when none was pending.</returns>
    public bool DiscardStalledCandidate(ref ReadOnlySequence<byte> buffer)
    {
        if (!HasPendingCandidate || buffer.IsEmpty || buffer.FirstSpan[0] != FrameFormat.Header)
        {
            return false;
        }

        _stalled++;
        HasPendingCandidate = false;
        buffer = buffer.Slice(1);
        return true;
    }

    private static ReadOnlySequence<byte> SkipFirstSegment(in ReadOnlySequence<byte> buffer)
    {
        // Only called with a non-empty buffer whose first segment is empty, so a next segment exists.
        SequencePosition next = buffer.Start;
        buffer.TryGet(ref next, out _);
        return buffer.Slice(next);
    }

    private Reassembly TryReassemble(ref ReadOnlySequence<byte> buffer, int max, out Frame frame)
    {
        frame = default;
        long available = buffer.Length;
        if (available < FrameFormat.PrefixLength)
        {
            return Reassembly.Incomplete;
        }

        Span<byte> prefix = stackalloc byte[FrameFormat.PrefixLength];
        buffer.Slice(0, FrameFormat.PrefixLength).CopyTo(prefix);
        int len = prefix[2] | (prefix[3] << 8);
        if (len > max)
        {
            _oversize++;
            buffer = buffer.Slice(1);
            return Reassembly.Rejected;
        }

        int total = len + FrameFormat.Overhead;
        if (available < total)
        {
            return Reassembly.Incomplete;
        }

        // Sized from the validated limit, not from len.
        byte[] scratch = _reassembly is { } r && r.Length >= max + FrameFormat.Overhead
            ? r
            : _reassembly = new byte[max + FrameFormat.Overhead];
        buffer.Slice(0, total).CopyTo(scratch);
        if (FrameChecksum.Compute(scratch.AsSpan(0, total)) != 0)
        {
            _badChecksum++;
            buffer = buffer.Slice(1);
            return Reassembly.Rejected;
        }

        _delivered++;
        _deliveredBytes += total;
        frame = new Frame(scratch[1], scratch.AsMemory(FrameFormat.PrefixLength, len));
        buffer = buffer.Slice(total);
        return Reassembly.Delivered;
    }

    private enum Reassembly
    {
        Incomplete,
        Rejected,
        Delivered,
    }

    private struct FirstFrameSink : IFrameSink
    {
        public Frame Frame;
        public bool Found;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool OnFrame(in Frame frame)
        {
            Frame = frame;
            Found = true;
            return false;
        }
    }
}
