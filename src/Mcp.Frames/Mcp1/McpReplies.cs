using System.Text;
using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1;

/// <summary>Device-side helpers to answer MCP/1 requests with typed statuses.</summary>
public static class McpReplies
{
    /// <summary>Answers OK with a body that writes itself into the frame.</summary>
    /// <typeparam name="TBody">The body type.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="body">The body.</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the answer is written.</returns>
    public static ValueTask ReplyOkAsync<TBody>(this RequestContext request, TBody body, CancellationToken cancellationToken = default)
        where TBody : IFramePayload
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.ReplyAsync((byte)McpStatus.Ok, body, cancellationToken);
    }

    /// <summary>Answers OK with an empty body.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the answer is written.</returns>
    public static ValueTask ReplyOkAsync(this RequestContext request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.ReplyAsync((byte)McpStatus.Ok, ReadOnlyMemory<byte>.Empty, cancellationToken);
    }

    /// <summary>
    /// Answers with a status and, optionally, a UTF-8 message after it (PROTOCOL.md §2.2: receivers may show it and
    /// must not depend on it). The message is cut to fit the link's payload limit, at a character boundary.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="status">The status.</param>
    /// <param name="message">A short explanation, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the answer is written.</returns>
    public static ValueTask ReplyStatusAsync(this RequestContext request, McpStatus status, string? message = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(message))
        {
            return request.ReplyAsync((byte)status, ReadOnlyMemory<byte>.Empty, cancellationToken);
        }

        int room = Math.Max(0, request.Connection.MaxPayloadLength - request.Connection.Profile.ResponseHeaderLength);
        byte[] text = Encoding.UTF8.GetBytes(message);
        int length = Math.Min(text.Length, room);
        while (length > 0 && length < text.Length && (text[length] & 0xC0) == 0x80)
        {
            length--; // the cut would split a character: end before it, so the message stays valid UTF-8
        }

        return request.ReplyAsync((byte)status, text.AsMemory(0, length), cancellationToken);
    }
}
