using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The WRITE request body: <c>slot u8</c>, <c>register u16</c>, then one or more <c>i32</c>.</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="Register">The first register.</param>
/// <param name="Values">The values for consecutive registers.</param>
public readonly record struct WriteRequest(byte Slot, ushort Register, ReadOnlyMemory<int> Values) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 3 + (Values.Length * 4);

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request (its values in a new array).</returns>
    /// <exception cref="ProtocolException">The body is malformed, has no value, or a partial one.</exception>
    public static WriteRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "WRITE request");
        byte slot = reader.ReadByte("slot");
        ushort register = reader.ReadUInt16("register");
        if (reader.Remaining == 0 || reader.Remaining % 4 != 0)
        {
            throw reader.Invalid("values", $"must be one or more i32 (a multiple of 4 bytes); {reader.Remaining} bytes remain");
        }

        int[] values = new int[reader.Remaining / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadInt32($"values[{i}]");
        }

        return new WriteRequest(slot, register, values);
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(Slot);
        writer.WriteUInt16(Register);
        return writer.Written + new Int32Values(Values).WriteTo(destination.Slice(writer.Written));
    }
}
