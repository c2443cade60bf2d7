using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The CONFIG_GET request body: <c>slot u8</c>.</summary>
/// <param name="Slot">The module's slot.</param>
public readonly record struct ConfigGetRequest(byte Slot) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 1;

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is not exactly one byte.</exception>
    public static ConfigGetRequest Read(ReadOnlySpan<byte> body) => new(McpBodyReader.ReadSingleByteBody(body, "CONFIG_GET request", "slot"));

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = Slot;
        return 1;
    }
}
