using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The UNSUBSCRIBE request body: <c>subId u8</c>.</summary>
/// <param name="SubscriptionId">The subscription to stop.</param>
public readonly record struct UnsubscribeRequest(byte SubscriptionId) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 1;

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is not exactly one byte.</exception>
    public static UnsubscribeRequest Read(ReadOnlySpan<byte> body) => new(McpBodyReader.ReadSingleByteBody(body, "UNSUBSCRIBE request", "subId"));

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = SubscriptionId;
        return 1;
    }
}
