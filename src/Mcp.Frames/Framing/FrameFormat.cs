namespace Mcp.Frames.Framing;

/// <summary>
/// Constants and limits of the frame layer (PROTOCOL.md §1).
/// </summary>
public static class FrameFormat
{
    /// <summary>The header byte that starts every frame.</summary>
    public const byte Header = 0x5A;

    /// <summary>Bytes of a frame that are not payload: header, cmd, len (2) and check.</summary>
    public const int Overhead = 5;

    /// <summary>Bytes before the payload: header, cmd and len.</summary>
    public const int PrefixLength = 4;

    /// <summary>The default payload limit of a link (the reference device buffer is 256 bytes).</summary>
    public const int DefaultMaxPayloadLength = 256;

    /// <summary>The largest payload limit a link may be configured with (the u16 range of <c>len</c>).</summary>
    public const int AbsoluteMaxPayloadLength = ushort.MaxValue;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="maxPayloadLength"/> is in 0–65535.
    /// </summary>
    /// <param name="maxPayloadLength">The value to check.</param>
    /// <param name="paramName">The name of the parameter or setting being checked, for the message.</param>
    /// <returns><paramref name="maxPayloadLength"/>, for chaining.</returns>
    public static int ValidateMaxPayloadLength(int maxPayloadLength, string paramName = "maxPayloadLength")
    {
        if ((uint)maxPayloadLength > AbsoluteMaxPayloadLength)
        {
            throw new ArgumentOutOfRangeException(
                paramName,
                maxPayloadLength,
                $"{paramName} must be between 0 and {AbsoluteMaxPayloadLength}; {maxPayloadLength} was given.");
        }

        return maxPayloadLength;
    }
}
