namespace Mcp.Frames.Connections;

/// <summary>
/// Told of the answer that came for a request after it was given up, while its match key was still retired, so that
/// what the peer did for it can be undone (MCP/1: a SUBSCRIBE the device made after the gateway stopped waiting).
/// </summary>
internal interface ILateAnswerObserver
{
    /// <summary>Runs on the read loop: it must only hand the work on, never wait.</summary>
    /// <param name="connection">The connection the answer came on.</param>
    /// <param name="status">The answer's status (the profile's OK status when it has none).</param>
    /// <param name="body">The body after the profile's header; valid during the call only.</param>
    void OnLateAnswer(FrameConnection connection, byte status, ReadOnlySpan<byte> body);
}
