using System.Buffers;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>How the unconsumed bytes are laid out in the buffer handed to the parser.</summary>
public enum Layout
{
    /// <summary>One contiguous segment (a pipe that appends into one buffer).</summary>
    Contiguous,

    /// <summary>One segment per chunk received (a pipe that starts a new segment per write).</summary>
    PerChunk,

    /// <summary>Segments of random sizes, 0 to 7 bytes, empty ones included.</summary>
    Random,
}

/// <summary>
/// Feeds a byte array to a <see cref="FrameParser"/> the way a read loop does: chunk by chunk, each time parsing
/// the unconsumed bytes plus the new chunk, keeping what the parser did not consume. Checks the parser's contract
/// after every parse: an unfinished parse leaves either nothing or exactly one incomplete candidate.
/// </summary>
internal static class StreamFeeder
{
    /// <summary>Feeds <paramref name="data"/> in chunks that end at <paramref name="chunkEnds"/> (ascending; the last
    /// is <c>data.Length</c>), then ends the stream.</summary>
    /// <param name="parser">The parser.</param>
    /// <param name="data">The stream.</param>
    /// <param name="chunkEnds">Where each chunk ends.</param>
    /// <param name="layout">How the buffer is segmented.</param>
    /// <param name="random">For <see cref="Layout.Random"/>.</param>
    /// <param name="useTryParse">Use <see cref="FrameParser.TryParse"/> in a loop instead of <see cref="FrameParser.ParseAll{TSink}"/>.</param>
    /// <param name="completeWithLastChunk">Pass <c>isCompleted: true</c> with the last chunk, rather than in a separate
    /// final parse with no new bytes.</param>
    /// <param name="onChunk">Called after each chunk's parse with (bytes fed so far, frames so far).</param>
    /// <returns>The delivered frames, located in <paramref name="data"/> when they were views into it.</returns>
    public static List<ReceivedFrame> Feed(
        FrameParser parser,
        byte[] data,
        IReadOnlyList<int> chunkEnds,
        Layout layout = Layout.Contiguous,
        Random? random = null,
        bool useTryParse = false,
        bool completeWithLastChunk = false,
        Action<int, int>? onChunk = null)
    {
        var sink = new CollectingSink { Input = data };
        int consumed = 0;
        int fed = 0;
        for (int c = 0; c < chunkEnds.Count; c++)
        {
            fed = chunkEnds[c];
            bool completed = completeWithLastChunk && c == chunkEnds.Count - 1;
            consumed = ParseOnce(parser, data, consumed, fed, completed, chunkEnds, layout, random, useTryParse, sink);
            onChunk?.Invoke(fed, sink.Frames.Count);
        }

        Assert.That(fed, Is.EqualTo(data.Length), "the chunks cover the data");
        if (!completeWithLastChunk)
        {
            consumed = ParseOnce(parser, data, consumed, fed, true, chunkEnds, layout, random, useTryParse, sink);
        }

        Assert.That(consumed, Is.EqualTo(data.Length), "at the end of the stream every byte is consumed (rule 6)");
        Assert.That(parser.HasPendingCandidate, Is.False);
        return sink.Frames;
    }

    /// <summary>Chunk ends for one byte at a time.</summary>
    public static int[] OneByteAtATime(int length) => length == 0 ? [0] : Enumerable.Range(1, length).ToArray();

    /// <summary>Random chunk ends: chunks of 1 to <paramref name="maxChunk"/> bytes.</summary>
    public static List<int> RandomChunks(int length, Random random, int maxChunk)
    {
        var ends = new List<int>();
        int pos = 0;
        while (pos < length)
        {
            pos = Math.Min(length, pos + random.Next(1, maxChunk + 1));
            ends.Add(pos);
        }

        if (ends.Count == 0)
        {
            ends.Add(0);
        }

        return ends;
    }

    /// <summary>data[start..end) laid out as <paramref name="layout"/> says.</summary>
    public static ReadOnlySequence<byte> Lay(byte[] data, int start, int end, IReadOnlyList<int> chunkEnds, Layout layout, Random? random) =>
        layout switch
        {
            Layout.Contiguous => new ReadOnlySequence<byte>(data, start, end - start),
            Layout.PerChunk => TestSegment.Split(data, start, end, chunkEnds.Where(e => e > start && e < end)),
            Layout.Random => TestSegment.RandomSplit(data, start, end, random ?? throw new ArgumentNullException(nameof(random)), 7, allowEmpty: true),
            _ => throw new ArgumentOutOfRangeException(nameof(layout)),
        };

    private static int ParseOnce(
        FrameParser parser,
        byte[] data,
        int consumed,
        int fed,
        bool completed,
        IReadOnlyList<int> chunkEnds,
        Layout layout,
        Random? random,
        bool useTryParse,
        CollectingSink sink)
    {
        ReadOnlySequence<byte> buffer = Lay(data, consumed, fed, chunkEnds, layout, random);
        long before = buffer.Length;
        if (useTryParse)
        {
            while (parser.TryParse(ref buffer, out Frame frame, completed))
            {
                sink.OnFrame(in frame);
            }
        }
        else
        {
            parser.ParseAll(ref buffer, ref sink, completed);
        }

        int remaining = checked((int)buffer.Length);
        int newConsumed = consumed + (int)(before - remaining);
        if (completed)
        {
            Assert.That(remaining, Is.Zero, "rule 6: the end of the stream drains the buffer");
            Assert.That(parser.HasPendingCandidate, Is.False);
        }
        else if (remaining == 0)
        {
            Assert.That(parser.HasPendingCandidate, Is.False, "nothing left, nothing pending");
        }
        else
        {
            // What is left must be one incomplete candidate that the parser is right to wait for.
            Assert.That(parser.HasPendingCandidate, Is.True, "bytes were left without a pending candidate");
            Assert.That(data[newConsumed], Is.EqualTo(FrameFormat.Header), "the unconsumed bytes start at a header");
            if (remaining >= FrameFormat.PrefixLength)
            {
                int len = data[newConsumed + 2] | (data[newConsumed + 3] << 8);
                Assert.That(len, Is.LessThanOrEqualTo(parser.MaxPayloadLength), "an oversize candidate must not be waited for");
                Assert.That(remaining, Is.LessThan(len + FrameFormat.Overhead), "a complete candidate must not be waited for");
            }
        }

        return newConsumed;
    }
}
