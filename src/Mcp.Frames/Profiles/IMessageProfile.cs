namespace Mcp.Frames.Profiles;

/// <summary>
/// The message layer on top of frames: how requests, responses and one-way messages are told apart, how a
/// response finds its request, and what a response header looks like. MCP/1 (<see cref="Mcp1Profile"/>) is the
/// default; <see cref="LegacyProfile"/> drives firmware with no sequence byte. Implement this to drive other firmware
/// with the same connection, timeouts, pub/sub and transports (PROTOCOL.md §2.4).
/// </summary>
/// <remarks>Implementations must be thread-safe and cheap: <see cref="Classify"/> runs on the read loop for every frame.</remarks>
public interface IMessageProfile
{
    /// <summary>The profile's name for messages and logs, such as <c>MCP/1</c>.</summary>
    string Name { get; }

    /// <summary>Bytes the profile puts in front of a request body (MCP/1: 1, the <c>seq</c>); 0 to 4.</summary>
    int RequestHeaderLength { get; }

    /// <summary>Bytes the profile puts in front of a response body (MCP/1: 2, <c>seq</c> and <c>status</c>); 0 to 8.</summary>
    int ResponseHeaderLength { get; }

    /// <summary>Whether responses carry a status byte. Without one, every response is a success and unknown requests go unanswered.</summary>
    bool HasStatus { get; }

    /// <summary>The status that means success.</summary>
    byte OkStatus { get; }

    /// <summary>The status to answer a request whose command has no handler, when <see cref="HasStatus"/>.</summary>
    byte UnknownCommandStatus { get; }

    /// <summary>The status to answer a request when the device-side queue is full, when <see cref="HasStatus"/>.</summary>
    byte BusyStatus { get; }

    /// <summary>The status to answer a request whose handler failed, when <see cref="HasStatus"/>.</summary>
    byte InternalErrorStatus { get; }

    /// <summary>
    /// The status to answer a request whose handler found its body malformed (let a <see cref="Connections.ProtocolException"/>
    /// escape, as the MCP/1 request readers throw), when <see cref="HasStatus"/>.
    /// </summary>
    byte BadRequestStatus { get; }

    /// <summary>The command of the heartbeat request (MCP/1: PING), or <see langword="null"/> when the profile has none.</summary>
    byte? HeartbeatCommand { get; }

    /// <summary>Classifies a received frame. Runs on the read loop.</summary>
    /// <param name="command">The frame's command byte.</param>
    /// <param name="payload">The frame's payload.</param>
    /// <returns>What the frame is.</returns>
    FrameKind Classify(byte command, ReadOnlySpan<byte> payload);

    /// <summary>The command of the response to a request with <paramref name="requestCommand"/>.</summary>
    /// <param name="requestCommand">The request's command.</param>
    /// <returns>The response's command.</returns>
    byte GetResponseCommand(byte requestCommand);

    /// <summary>Reads a response's status and where its body starts.</summary>
    /// <param name="payload">The response's payload (already classified as a response).</param>
    /// <param name="status">The status (<see cref="OkStatus"/> when the profile has none).</param>
    /// <returns>The offset of the body in <paramref name="payload"/>.</returns>
    int ReadResponseHeader(ReadOnlySpan<byte> payload, out byte status);

    /// <summary>Writes the header of a response to a received request.</summary>
    /// <param name="destination">At least <see cref="ResponseHeaderLength"/> bytes.</param>
    /// <param name="requestHeader">The first <see cref="RequestHeaderLength"/> bytes of the request's payload.</param>
    /// <param name="status">The status to send.</param>
    void WriteResponseHeader(Span<byte> destination, ReadOnlySpan<byte> requestHeader, byte status);

    /// <summary>A readable name of a status, for messages (MCP/1: <c>NO_SUCH_MODULE</c>…).</summary>
    /// <param name="status">The status.</param>
    /// <returns>Its name.</returns>
    string DescribeStatus(byte status);

    /// <summary>Creates the per-connection state that hands out match keys for outgoing requests.</summary>
    /// <param name="timeProvider">The connection's clock.</param>
    /// <returns>A new matcher, owned by one connection.</returns>
    IRequestMatcher CreateMatcher(TimeProvider timeProvider);
}
