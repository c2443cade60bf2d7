namespace Mcp.Frames.Framing;

/// <summary>
/// Receives the frames that <see cref="FrameParser.ParseAll{TSink}"/> finds.
/// </summary>
/// <remarks>
/// Implement it on a struct to let the JIT inline the call into the parse loop. The frame's payload is valid only
/// for the duration of the call.
/// </remarks>
public interface IFrameSink
{
    /// <summary>Called once per delivered frame, in stream order.</summary>
    /// <param name="frame">The frame; its payload is valid only during this call.</param>
    /// <returns><see langword="true"/> to keep parsing; <see langword="false"/> to stop after this frame.</returns>
    bool OnFrame(in Frame frame);
}
