using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The EVENT payload a device publishes: <c>subId u8</c>, <c>eventSeq u16</c>, <c>uptimeMs u32</c>, then the values.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="EventSeq">The per-subscription event counter (wraps).</param>
/// <param name="UptimeMs">The device's uptime in milliseconds (wraps).</param>
/// <param name="Values">The subscribed registers' values.</param>
public readonly record struct EventPayload(byte SubscriptionId, ushort EventSeq, uint UptimeMs, ReadOnlyMemory<int> Values) : IFramePayload
{
    /// <summary>Bytes before the values.</summary>
    public const int HeaderLength = 7;

    /// <inheritdoc />
    public int MaxLength => HeaderLength + (Values.Length * 4);

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(SubscriptionId);
        writer.WriteUInt16(EventSeq);
        writer.WriteUInt32(UptimeMs);
        return writer.Written + new Int32Values(Values).WriteTo(destination.Slice(writer.Written));
    }
}
