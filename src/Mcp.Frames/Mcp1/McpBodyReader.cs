using System.Buffers.Binary;
using System.Text;
using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// Reads the fields of an MCP/1 body (little-endian, PROTOCOL.md §2). A body that is too short or malformed raises
/// <see cref="ProtocolException"/> naming the message, the field, the offset and the byte counts — never
/// <see cref="IndexOutOfRangeException"/>.
/// </summary>
public ref struct McpBodyReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private readonly ReadOnlySpan<byte> _body;
    private readonly string _message;
    private int _offset;

    /// <summary>Creates a reader.</summary>
    /// <param name="body">The body.</param>
    /// <param name="message">The message's name for errors, such as <c>HELLO response</c>.</param>
    public McpBodyReader(ReadOnlySpan<byte> body, string message)
    {
        _body = body;
        _message = message;
        _offset = 0;
    }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _body.Length - _offset;

    /// <summary>Bytes read so far.</summary>
    public readonly int Offset => _offset;

    /// <summary>Reads a <c>u8</c>.</summary>
    /// <param name="field">The field's name, for errors.</param>
    /// <returns>The value.</returns>
    public byte ReadByte(string field) => Take(1, field)[0];

    /// <summary>Reads a <c>u16</c>.</summary>
    /// <param name="field">The field's name, for errors.</param>
    /// <returns>The value.</returns>
    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    /// <summary>Reads a <c>u32</c>.</summary>
    /// <param name="field">The field's name, for errors.</param>
    /// <returns>The value.</returns>
    public uint ReadUInt32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    /// <summary>Reads an <c>i32</c>.</summary>
    /// <param name="field">The field's name, for errors.</param>
    /// <returns>The value.</returns>
    public int ReadInt32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    /// <summary>Reads a <c>str8</c>: a length byte and that many UTF-8 bytes.</summary>
    /// <param name="field">The field's name, for errors.</param>
    /// <returns>The string exactly as sent (it may hold control characters: show it through <see cref="PeerText.Escape"/>).</returns>
    public string ReadStr8(string field)
    {
        int length = ReadByte(field + ".length");
        ReadOnlySpan<byte> bytes = Take(length, field);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ProtocolException($"{_message}: field '{field}' at offset {_offset - length} is not valid UTF-8.", ex);
        }
    }

    /// <summary>Reads the rest of the body.</summary>
    /// <returns>The remaining bytes.</returns>
    public ReadOnlySpan<byte> ReadRest() => Take(Remaining, "rest");

    /// <summary>Throws unless every byte was read.</summary>
    /// <exception cref="ProtocolException">Bytes are left over.</exception>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw new ProtocolException($"{_message}: {Remaining} unexpected bytes after offset {_offset} (body of {_body.Length} bytes).");
        }
    }

    /// <summary>Reads a body that is exactly one <c>u8</c> field.</summary>
    /// <param name="body">The body.</param>
    /// <param name="message">The message's name for errors.</param>
    /// <param name="field">The field's name, for errors.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ProtocolException">The body is empty or longer.</exception>
    public static byte ReadSingleByteBody(ReadOnlySpan<byte> body, string message, string field)
    {
        var reader = new McpBodyReader(body, message);
        byte value = reader.ReadByte(field);
        reader.EnsureEnd();
        return value;
    }

    /// <summary>Creates the exception for a value that is present but out of range.</summary>
    /// <param name="field">The field.</param>
    /// <param name="detail">What is wrong, with the numbers.</param>
    /// <returns>The exception, to throw.</returns>
    public readonly ProtocolException Invalid(string field, string detail) => new($"{_message}: field '{field}' {detail}.");

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > Remaining)
        {
            throw new ProtocolException($"{_message}: field '{field}' needs {count} bytes at offset {_offset}, but the body of {_body.Length} bytes has only {Remaining} left.");
        }

        ReadOnlySpan<byte> slice = _body.Slice(_offset, count);
        _offset += count;
        return slice;
    }
}
