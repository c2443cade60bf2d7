using System.Buffers.Binary;
using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>A body of up to 8 bytes held inline (a slot, a subId, a version…), with no allocation.</summary>
public readonly struct InlinePayload : IFramePayload
{
    private readonly ulong _bits;
    private readonly int _length;

    private InlinePayload(ulong bits, int length)
    {
        _bits = bits;
        _length = length;
    }

    /// <inheritdoc />
    public int MaxLength => _length;

    /// <summary>A one-byte body.</summary>
    /// <param name="value">The byte.</param>
    /// <returns>The body.</returns>
    public static InlinePayload FromByte(byte value) => new(value, 1);

    /// <summary>A four-byte little-endian body.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The body.</returns>
    public static InlinePayload FromUInt32(uint value) => new(value, 4);

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, _bits);
        bytes[.._length].CopyTo(destination);
        return _length;
    }
}
