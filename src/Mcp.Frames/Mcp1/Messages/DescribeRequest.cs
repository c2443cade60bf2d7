using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The DESCRIBE request body: <c>slot u8</c>, <c>first u8</c>.</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="First">The index of the first register entry wanted.</param>
public readonly record struct DescribeRequest(byte Slot, byte First) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 2;

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is malformed.</exception>
    public static DescribeRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "DESCRIBE request");
        var request = new DescribeRequest(reader.ReadByte("slot"), reader.ReadByte("first"));
        reader.EnsureEnd();
        return request;
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = Slot;
        destination[1] = First;
        return 2;
    }
}
