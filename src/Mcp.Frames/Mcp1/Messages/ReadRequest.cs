using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The READ request body: <c>slot u8</c>, <c>register u16</c>, <c>count u8</c> (≥ 1).</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="Register">The first register.</param>
/// <param name="Count">How many consecutive registers.</param>
public readonly record struct ReadRequest(byte Slot, ushort Register, byte Count) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 4;

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is malformed or count is 0.</exception>
    public static ReadRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "READ request");
        var request = new ReadRequest(reader.ReadByte("slot"), reader.ReadUInt16("register"), reader.ReadByte("count"));
        if (request.Count == 0)
        {
            throw reader.Invalid("count", "must be at least 1");
        }

        reader.EnsureEnd();
        return request;
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(Slot);
        writer.WriteUInt16(Register);
        writer.WriteByte(Count);
        return writer.Written;
    }
}
