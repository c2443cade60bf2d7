namespace Mcp.Frames.Connections;

/// <summary>
/// A received one-way message (for MCP/1, an EVENT). Its payload lives in a pooled buffer: dispose the message after
/// its last use (<see cref="OneWaySubscription.ReadAllAsync"/> does it for you when the loop moves on).
/// </summary>
public readonly struct OneWayMessage : IDisposable
{
    private readonly byte[]? _buffer;
    private readonly PayloadBufferPool? _pool;
    private readonly int _length;

    internal OneWayMessage(byte command, byte[] buffer, int length, PayloadBufferPool pool)
    {
        Command = command;
        _buffer = buffer;
        _length = length;
        _pool = pool;
    }

    /// <summary>The command byte.</summary>
    public byte Command { get; }

    /// <summary>The whole payload. Valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Payload => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, _length);

    /// <summary>Returns the payload's buffer to the pool.</summary>
    public void Dispose()
    {
        if (_buffer is not null)
        {
            _pool?.Return(_buffer);
        }
    }
}
