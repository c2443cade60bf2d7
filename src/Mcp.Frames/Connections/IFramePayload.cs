namespace Mcp.Frames.Connections;

/// <summary>
/// A message body that writes itself straight into the outgoing frame, with no intermediate array.
/// Implement it on a struct; the connection calls it once per frame written (again on a retry).
/// </summary>
public interface IFramePayload
{
    /// <summary>The most bytes <see cref="WriteTo"/> may write.</summary>
    int MaxLength { get; }

    /// <summary>Writes the body.</summary>
    /// <param name="destination">At least <see cref="MaxLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    int WriteTo(Span<byte> destination);
}
