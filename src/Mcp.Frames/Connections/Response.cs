namespace Mcp.Frames.Connections;

/// <summary>
/// An answer to a request: its command, status and body. The body lives in a pooled buffer that
/// <see cref="Dispose"/> returns: dispose the response once (a copy of it counts as the same response), after the last
/// use of <see cref="Body"/>.
/// </summary>
public readonly struct Response : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly PayloadBufferPool? _pool;
    private readonly int _length;

    internal Response(byte command, byte status, byte[]? buffer, int length, PayloadBufferPool? pool, int key)
    {
        Command = command;
        Key = key;
        Status = status;
        _buffer = buffer;
        _length = length;
        _pool = pool;
    }

    /// <summary>The response's command byte.</summary>
    public byte Command { get; }

    /// <summary>The match key of the request it answers (for messages).</summary>
    internal int Key { get; }

    /// <summary>The status (the profile's OK status for profiles without one).</summary>
    public byte Status { get; }

    /// <summary>The body after the profile's header. Valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Body => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    /// <summary>Returns the body's buffer to the pool.</summary>
    public void Dispose()
    {
        if (_buffer is not null)
        {
            _pool?.Return(_buffer);
        }
    }
}
