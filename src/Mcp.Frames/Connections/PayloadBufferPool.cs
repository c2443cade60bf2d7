namespace Mcp.Frames.Connections;

/// <summary>
/// Payload buffers for one consumer of the read loop — a subscription's queue, the answers in flight, the received
/// requests waiting for handlers — rented on the read loop and returned on whatever thread the consumer runs on.
/// </summary>
/// <remarks>
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/> keeps its arrays per thread and per core: a burst rented on the
/// read loop and returned on a subscriber's thread empties the read loop's side and it allocates again, while the
/// returns overflow and are dropped. A pool that retains as many buffers as its consumer can hold at once allocates
/// only while it warms up. Buffers are at least 64 bytes, sized in powers of two; a retained buffer too small for a
/// request is dropped and replaced.
/// </remarks>
internal sealed class PayloadBufferPool(int maxRetained)
{
    private const int MinimumLength = 64;
    private readonly Lock _lock = new();
    private readonly byte[]?[] _items = new byte[Math.Clamp(maxRetained, 1, 4096)][];
    private int _count;

    public byte[] Rent(int minimumLength)
    {
        lock (_lock)
        {
            while (_count > 0)
            {
                byte[] buffer = _items[--_count]!;
                _items[_count] = null;
                if (buffer.Length >= minimumLength)
                {
                    return buffer;
                }
            }
        }

        return GC.AllocateUninitializedArray<byte>(Math.Max(MinimumLength, (int)Math.Min(1u << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)minimumLength))));
    }

    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = buffer;
            }
        }
    }
}
