namespace Mcp.Frames.Profiles;

/// <summary>What a received frame is, as a message profile classifies it.</summary>
public enum FrameKind
{
    /// <summary>A request the peer expects an answer to.</summary>
    Request,

    /// <summary>An answer to one of our requests.</summary>
    Response,

    /// <summary>A message that is never answered (for example an MCP/1 EVENT).</summary>
    OneWay,

    /// <summary>A frame the profile cannot use (for example an MCP/1 request with no <c>seq</c>): dropped and counted.</summary>
    Malformed,
}
