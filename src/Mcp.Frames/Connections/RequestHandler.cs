namespace Mcp.Frames.Connections;

/// <summary>
/// Answers one received request. Runs on a handler task, never on the read loop. Reply with
/// <see cref="RequestContext.ReplyAsync(byte, ReadOnlyMemory{byte}, CancellationToken)"/> before returning; the
/// context and its body are reused after the handler returns, so do not keep them.
/// </summary>
/// <param name="request">The request.</param>
/// <param name="cancellationToken">Cancelled when the connection closes.</param>
/// <returns>A task that completes when the request is handled.</returns>
public delegate ValueTask RequestHandler(RequestContext request, CancellationToken cancellationToken);
