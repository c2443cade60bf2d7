namespace Mcp.Frames.Connections;

/// <summary>
/// A received request being handled: its command and body, and the way to answer it. One context object is reused
/// by a handler task for request after request: it and its <see cref="Body"/> are valid only until the handler returns.
/// </summary>
public sealed class RequestContext
{
    private byte[] _buffer = [];
    private int _length;
    private int _headerLength;

    internal RequestContext(FrameConnection connection) => Connection = connection;

    /// <summary>The connection the request came in on.</summary>
    public FrameConnection Connection { get; }

    /// <summary>The request's command.</summary>
    public byte Command { get; private set; }

    /// <summary>The body after the profile's request header (for MCP/1: after <c>seq</c>).</summary>
    public ReadOnlyMemory<byte> Body => _buffer.AsMemory(_headerLength, _length - _headerLength);

    /// <summary>The profile's request header (for MCP/1: the <c>seq</c> byte).</summary>
    public ReadOnlyMemory<byte> Header => _buffer.AsMemory(0, _headerLength);

    /// <summary>Whether a reply has been sent.</summary>
    public bool HasReplied { get; private set; }

    /// <summary>Sends the answer: the profile's response header with <paramref name="status"/>, then <paramref name="body"/>.</summary>
    /// <param name="status">The status (ignored by profiles without one).</param>
    /// <param name="body">The body.</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the reply is written.</returns>
    /// <exception cref="InvalidOperationException">A reply was already sent.</exception>
    public ValueTask ReplyAsync(byte status, ReadOnlyMemory<byte> body = default, CancellationToken cancellationToken = default) =>
        ReplyAsync(status, new BytesPayload(body), cancellationToken);

    /// <summary>Sends the answer with a body that writes itself into the frame.</summary>
    /// <typeparam name="TBody">The body type.</typeparam>
    /// <param name="status">The status (ignored by profiles without one).</param>
    /// <param name="body">The body.</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the reply is written.</returns>
    /// <exception cref="InvalidOperationException">A reply was already sent.</exception>
    public ValueTask ReplyAsync<TBody>(byte status, TBody body, CancellationToken cancellationToken = default)
        where TBody : IFramePayload
    {
        if (HasReplied)
        {
            throw new InvalidOperationException($"The request {Connection.DescribeCommand(Command)} on {Connection.Name} was already answered.");
        }

        HasReplied = true;
        return Connection.SendResponseAsync(Command, _buffer.AsSpan(0, _headerLength), status, body, cancellationToken);
    }

    internal void Reset(byte command, byte[] buffer, int length, int headerLength)
    {
        Command = command;
        _buffer = buffer;
        _length = length;
        _headerLength = headerLength;
        HasReplied = false;
    }

    internal byte[] DetachBuffer()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _length = 0;
        _headerLength = 0;
        return buffer;
    }
}
