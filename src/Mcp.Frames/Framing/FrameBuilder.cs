using System.Buffers;
using System.Buffers.Binary;

namespace Mcp.Frames.Framing;

/// <summary>
/// A frame being written in place into an <see cref="IBufferWriter{T}"/>; created by
/// <see cref="FrameWriter.Begin"/>. Fill <see cref="Payload"/>, then call <see cref="Commit"/> once.
/// </summary>
public readonly ref struct FrameBuilder
{
    private readonly IBufferWriter<byte> _output;
    private readonly Span<byte> _frame;

    internal FrameBuilder(IBufferWriter<byte> output, Span<byte> frame)
    {
        _output = output;
        _frame = frame;
    }

    /// <summary>The reserved payload bytes, to be written by the caller.</summary>
    public Span<byte> Payload => _frame.Slice(FrameFormat.PrefixLength, _frame.Length - FrameFormat.Overhead);

    /// <summary>
    /// Finishes the frame: writes <c>len</c> and the check, and advances the output by the frame's length.
    /// </summary>
    /// <param name="payloadLength">How many bytes of <see cref="Payload"/> were written; at most its length.</param>
    /// <returns>The number of bytes the frame occupies.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The length is negative or larger than the reserved payload.</exception>
    public int Commit(int payloadLength)
    {
        if ((uint)payloadLength > (uint)(_frame.Length - FrameFormat.Overhead))
        {
            throw new ArgumentOutOfRangeException(
                nameof(payloadLength),
                payloadLength,
                $"Payload length must be between 0 and the {_frame.Length - FrameFormat.Overhead} bytes reserved.");
        }

        int total = payloadLength + FrameFormat.Overhead;
        BinaryPrimitives.WriteUInt16LittleEndian(_frame.Slice(2), (ushort)payloadLength);
        _frame[total - 1] = FrameChecksum.Compute(_frame.Slice(0, total - 1));
        _output.Advance(total);
        return total;
    }
}
