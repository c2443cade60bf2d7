using System.Buffers;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>
/// The frames every parse benchmark uses, generated exactly as bench/c-baseline/parse.c does (same xorshift32, same
/// seed), so the C loop and the C# parser chew on byte-identical buffers.
/// </summary>
internal static class BenchFrames
{
    /// <summary>Frames per buffer; also the benchmarks' OperationsPerInvoke.</summary>
    public const int Count = 4096;

    /// <summary>Segment size of the multi-segment layout.</summary>
    public const int SegmentSize = 4096;

    /// <summary>Builds <see cref="Count"/> frames with <paramref name="payloadLength"/>-byte payloads, back to back.</summary>
    public static byte[] Build(int payloadLength)
    {
        uint state = 0x12345678u ^ (uint)payloadLength;
        byte[] buffer = new byte[Count * (payloadLength + FrameFormat.Overhead)];
        byte[] payload = new byte[payloadLength];
        int pos = 0;
        for (int i = 0; i < Count; i++)
        {
            byte command = (byte)Next(ref state);
            for (int k = 0; k < payloadLength; k++)
            {
                payload[k] = (byte)Next(ref state); // random, so 0x5A appears inside payloads too
            }

            pos += FrameWriter.Encode(buffer.AsSpan(pos), command, payload);
        }

        return buffer;
    }

    /// <summary>The same bytes cut into <see cref="SegmentSize"/>-byte segments, so some frames straddle two.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] buffer)
    {
        var first = new Segment(buffer.AsMemory(0, Math.Min(SegmentSize, buffer.Length)), 0);
        Segment last = first;
        for (int start = SegmentSize; start < buffer.Length; start += SegmentSize)
        {
            last = last.Append(buffer.AsMemory(start, Math.Min(SegmentSize, buffer.Length - start)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static uint Next(ref uint state)
    {
        // xorshift32 (Marsaglia); parse.c has the same function.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
