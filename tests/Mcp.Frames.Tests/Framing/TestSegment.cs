using System.Buffers;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// A segment of a hand-built multi-segment <see cref="ReadOnlySequence{T}"/>. Segments are usually slices of one
/// array, so a delivered payload that is a view (not a reassembled copy) can be located in that array.
/// </summary>
internal sealed class TestSegment : ReadOnlySequenceSegment<byte>
{
    public TestSegment(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public TestSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new TestSegment(memory, RunningIndex + Memory.Length);
        Next = next;
        return next;
    }

    /// <summary>A sequence made of the given chunks, in order, one segment each (empty chunks allowed).</summary>
    public static ReadOnlySequence<byte> Chain(IReadOnlyList<ReadOnlyMemory<byte>> chunks)
    {
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new TestSegment(chunks[0], 0);
        TestSegment last = first;
        for (int i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="data"/>[start..end) cut at the given absolute positions (each in start..end, ascending).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, int start, int end, IEnumerable<int> cuts)
    {
        var chunks = new List<ReadOnlyMemory<byte>>();
        int from = start;
        foreach (int cut in cuts)
        {
            chunks.Add(data.AsMemory(from, cut - from));
            from = cut;
        }

        chunks.Add(data.AsMemory(from, end - from));
        return Chain(chunks);
    }

    /// <summary>
    /// <paramref name="data"/>[start..end) cut at random positions: segments of 0 to <paramref name="maxSegment"/> bytes
    /// (empty segments only when <paramref name="allowEmpty"/>).
    /// </summary>
    public static ReadOnlySequence<byte> RandomSplit(byte[] data, int start, int end, Random random, int maxSegment, bool allowEmpty = false)
    {
        var cuts = new List<int>();
        int pos = start;
        while (true)
        {
            int step = random.Next(allowEmpty ? 0 : 1, maxSegment + 1);
            if (pos + step >= end)
            {
                break;
            }

            pos += step;
            cuts.Add(pos);
        }

        return Split(data, start, end, cuts);
    }
}
