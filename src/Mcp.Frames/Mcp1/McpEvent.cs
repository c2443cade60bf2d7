using System.Buffers.Binary;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// A received MCP/1 EVENT (PROTOCOL.md §2.3), read in place from the message payload with no allocation. Valid as
/// long as the payload it was read from.
/// </summary>
public readonly struct McpEvent
{
    private readonly ReadOnlyMemory<byte> _payload;

    private McpEvent(ReadOnlyMemory<byte> payload, long lostBefore)
    {
        _payload = payload;
        LostBefore = lostBefore;
    }

    /// <summary>The subscription.</summary>
    public byte SubscriptionId => _payload.Span[0];

    /// <summary>The per-subscription counter; a gap means lost events.</summary>
    public ushort EventSeq => BinaryPrimitives.ReadUInt16LittleEndian(_payload.Span.Slice(1));

    /// <summary>The device's uptime in milliseconds when it published the event.</summary>
    public uint UptimeMs => BinaryPrimitives.ReadUInt32LittleEndian(_payload.Span.Slice(3));

    /// <summary>How many values the event carries.</summary>
    public int ValueCount => (_payload.Length - EventPayload.HeaderLength) / 4;

    /// <summary>
    /// How many events are missing just before this one, from the <see cref="EventSeq"/> gap since the event read
    /// before it (0 for the first): lost on the link, dropped by the local queue, or skipped as malformed.
    /// </summary>
    public long LostBefore { get; }

    /// <summary>The value of the <paramref name="index"/>-th subscribed register.</summary>
    /// <param name="index">0 to <see cref="ValueCount"/> − 1.</param>
    /// <returns>The value.</returns>
    public int this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ValueCount);
            return BinaryPrimitives.ReadInt32LittleEndian(_payload.Span.Slice(EventPayload.HeaderLength + (index * 4)));
        }
    }

    /// <summary>The whole EVENT payload.</summary>
    public ReadOnlyMemory<byte> Payload => _payload;

    /// <summary>The same event with another lost-events count (used when a gap is known from elsewhere).</summary>
    /// <param name="lostBefore">Lost events before this one.</param>
    /// <returns>The event.</returns>
    public McpEvent WithLostBefore(long lostBefore) => new(_payload, lostBefore);

    /// <summary>Copies the values into a new array (for convenience; the indexer does not allocate).</summary>
    /// <returns>The values.</returns>
    public int[] ToArray()
    {
        int[] values = new int[ValueCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = this[i];
        }

        return values;
    }

    /// <summary>Reads an EVENT payload.</summary>
    /// <param name="payload">The whole EVENT frame payload.</param>
    /// <param name="lostBefore">Lost events before it, as computed by the caller.</param>
    /// <returns>The event.</returns>
    /// <exception cref="ProtocolException">The payload is shorter than the header or has a partial value.</exception>
    public static McpEvent Read(ReadOnlyMemory<byte> payload, long lostBefore = 0)
    {
        int valueBytes = payload.Length - EventPayload.HeaderLength;
        if (valueBytes < 0 || valueBytes % 4 != 0)
        {
            throw new ProtocolException($"EVENT: payload of {payload.Length} bytes is not a {EventPayload.HeaderLength}-byte header followed by whole i32 values.");
        }

        return new McpEvent(payload, lostBefore);
    }
}
