using System.Buffers;
using System.Buffers.Binary;

namespace Mcp.Frames.Framing;

/// <summary>
/// Writes frames (PROTOCOL.md §1) straight into an <see cref="IBufferWriter{T}"/>, with no intermediate array.
/// </summary>
public static class FrameWriter
{
    /// <summary>Writes one frame with the given payload.</summary>
    /// <param name="output">Where the frame goes (a <c>PipeWriter</c>, an <c>ArrayBufferWriter</c>…).</param>
    /// <param name="command">The command byte.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="maxPayloadLength">The link's payload limit.</param>
    /// <returns>The number of bytes written (<c>5 + payload length</c>).</returns>
    /// <exception cref="ArgumentException">The payload is longer than <paramref name="maxPayloadLength"/>; nothing is written.</exception>
    public static int Write(IBufferWriter<byte> output, byte command, ReadOnlySpan<byte> payload, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        FrameBuilder builder = Begin(output, command, payload.Length, maxPayloadLength);
        payload.CopyTo(builder.Payload);
        return builder.Commit(payload.Length);
    }

    /// <summary>
    /// Starts a frame whose payload the caller writes in place: reserve up to <paramref name="payloadCapacity"/>
    /// bytes, fill <see cref="FrameBuilder.Payload"/>, then <see cref="FrameBuilder.Commit"/> with the length
    /// actually written. Until <c>Commit</c>, nothing is advanced in <paramref name="output"/>: a builder that is
    /// abandoned writes nothing.
    /// </summary>
    /// <param name="output">Where the frame goes.</param>
    /// <param name="command">The command byte.</param>
    /// <param name="payloadCapacity">The most payload bytes the caller may write.</param>
    /// <param name="maxPayloadLength">The link's payload limit.</param>
    /// <returns>A builder over the output's memory.</returns>
    /// <exception cref="ArgumentException"><paramref name="payloadCapacity"/> exceeds <paramref name="maxPayloadLength"/>.</exception>
    public static FrameBuilder Begin(IBufferWriter<byte> output, byte command, int payloadCapacity, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadCapacity);
        FrameFormat.ValidateMaxPayloadLength(maxPayloadLength);
        if (payloadCapacity > maxPayloadLength)
        {
            throw new ArgumentException(
                $"Payload of {payloadCapacity} bytes exceeds the link's limit of {maxPayloadLength} bytes (cmd 0x{command:X2}); nothing was written.",
                nameof(payloadCapacity));
        }

        Span<byte> span = output.GetSpan(payloadCapacity + FrameFormat.Overhead);
        span[0] = FrameFormat.Header;
        span[1] = command;
        return new FrameBuilder(output, span.Slice(0, payloadCapacity + FrameFormat.Overhead));
    }

    /// <summary>Writes a frame's bytes into a span (for tests, tools and fixed buffers).</summary>
    /// <param name="destination">At least <c>5 + payload length</c> bytes.</param>
    /// <param name="command">The command byte.</param>
    /// <param name="payload">The payload (at most 65535 bytes).</param>
    /// <returns>The number of bytes written.</returns>
    /// <exception cref="ArgumentException">The destination is too small or the payload longer than 65535 bytes.</exception>
    public static int Encode(Span<byte> destination, byte command, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > FrameFormat.AbsoluteMaxPayloadLength)
        {
            throw new ArgumentException($"Payload of {payload.Length} bytes exceeds the frame format's limit of {FrameFormat.AbsoluteMaxPayloadLength}.", nameof(payload));
        }

        int total = payload.Length + FrameFormat.Overhead;
        if (destination.Length < total)
        {
            throw new ArgumentException($"Destination of {destination.Length} bytes cannot hold a frame of {total} bytes.", nameof(destination));
        }

        destination[0] = FrameFormat.Header;
        destination[1] = command;
        BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(2), (ushort)payload.Length);
        payload.CopyTo(destination.Slice(FrameFormat.PrefixLength));
        destination[total - 1] = FrameChecksum.Compute(destination.Slice(0, total - 1));
        return total;
    }

    /// <summary>Returns a new array holding one encoded frame (convenience for tools and tests, not the hot path).</summary>
    /// <param name="command">The command byte.</param>
    /// <param name="payload">The payload (at most 65535 bytes).</param>
    /// <returns>The frame's bytes.</returns>
    public static byte[] ToArray(byte command, ReadOnlySpan<byte> payload)
    {
        byte[] result = new byte[payload.Length + FrameFormat.Overhead];
        Encode(result, command, payload);
        return result;
    }
}
