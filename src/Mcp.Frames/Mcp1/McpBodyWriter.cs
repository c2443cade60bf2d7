using System.Buffers.Binary;
using System.Text;

namespace Mcp.Frames.Mcp1;

/// <summary>Writes the fields of an MCP/1 body straight into a frame's payload (little-endian, PROTOCOL.md §2).</summary>
/// <param name="destination">The space for the body.</param>
public ref struct McpBodyWriter(Span<byte> destination)
{
    private readonly Span<byte> _destination = destination;

    /// <summary>Bytes written so far.</summary>
    public int Written { get; private set; }

    /// <summary>The bytes a <c>str8</c> of <paramref name="value"/> takes.</summary>
    /// <param name="value">The string.</param>
    /// <returns>1 + its UTF-8 length (at most 255).</returns>
    public static int Str8Length(string value) => 1 + Math.Min(Encoding.UTF8.GetByteCount(value), 255);

    /// <summary>Writes a <c>u8</c>.</summary>
    /// <param name="value">The value.</param>
    public void WriteByte(byte value) => _destination[Written++] = value;

    /// <summary>Writes a <c>u16</c>.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_destination.Slice(Written), value);
        Written += 2;
    }

    /// <summary>Writes a <c>u32</c>.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_destination.Slice(Written), value);
        Written += 4;
    }

    /// <summary>Writes an <c>i32</c>.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_destination.Slice(Written), value);
        Written += 4;
    }

    /// <summary>Writes a <c>str8</c>, cut to 255 UTF-8 bytes at a character boundary.</summary>
    /// <param name="value">The string.</param>
    public void WriteStr8(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> target = _destination.Slice(Written + 1);
        int max = Math.Min(255, target.Length);
        Encoding.UTF8.GetEncoder().Convert(value.AsSpan(), target[..max], true, out _, out int bytes, out _);
        _destination[Written] = (byte)bytes;
        Written += 1 + bytes;
    }

    /// <summary>Writes raw bytes.</summary>
    /// <param name="bytes">The bytes.</param>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_destination.Slice(Written));
        Written += bytes.Length;
    }
}
