using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The HELLO request body (PROTOCOL.md §2.3): <c>protoVersion u8</c>, <c>maxPayload u16</c>.</summary>
/// <param name="ProtocolVersion">The protocol version the sender speaks (1).</param>
/// <param name="MaxPayload">The sender's payload limit.</param>
public readonly record struct HelloRequest(byte ProtocolVersion, ushort MaxPayload) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 3;

    /// <summary>
    /// Parses the body. Bytes after <c>maxPayload</c> are ignored: HELLO is where protocol versions meet, and a later
    /// version may append fields (every other MCP/1 body must end where its last field ends).
    /// </summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is malformed.</exception>
    public static HelloRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "HELLO request");
        var request = new HelloRequest(reader.ReadByte("protoVersion"), reader.ReadUInt16("maxPayload"));
        return request;
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(ProtocolVersion);
        writer.WriteUInt16(MaxPayload);
        return writer.Written;
    }
}
