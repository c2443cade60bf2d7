using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The RESET request body: <c>mode u8</c>.</summary>
/// <param name="Mode">How to restart (0 = reboot; the device answers BAD_REQUEST for a mode it does not support).</param>
public readonly record struct ResetRequest(byte Mode) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 1;

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is not exactly one byte.</exception>
    public static ResetRequest Read(ReadOnlySpan<byte> body) => new(McpBodyReader.ReadSingleByteBody(body, "RESET request", "mode"));

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = Mode;
        return 1;
    }
}
