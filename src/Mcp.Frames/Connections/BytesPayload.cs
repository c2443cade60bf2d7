namespace Mcp.Frames.Connections;

/// <summary>A body taken from memory the caller owns until the send completes.</summary>
/// <param name="bytes">The body.</param>
public readonly struct BytesPayload(ReadOnlyMemory<byte> bytes) : IFramePayload
{
    /// <summary>An empty body.</summary>
    public static BytesPayload Empty => default;

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    /// <inheritdoc />
    public int MaxLength => Bytes.Length;

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        Bytes.Span.CopyTo(destination);
        return Bytes.Length;
    }
}
