using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The SUBSCRIBE request body: <c>slot u8</c>, <c>register u16</c>, <c>count u8</c>, <c>periodMs u16</c> (≥ 10), <c>mode u8</c>.</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="Register">The first register.</param>
/// <param name="Count">How many consecutive registers each event carries.</param>
/// <param name="PeriodMs">The period in milliseconds, at least 10.</param>
/// <param name="Mode">Periodic or on change.</param>
public readonly record struct SubscribeRequest(byte Slot, ushort Register, byte Count, ushort PeriodMs, SubscribeMode Mode) : IFramePayload
{
    /// <summary>The smallest period the protocol allows.</summary>
    public const ushort MinPeriodMs = 10;

    /// <inheritdoc />
    public int MaxLength => 7;

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is malformed or a field is out of range.</exception>
    public static SubscribeRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "SUBSCRIBE request");
        var request = new SubscribeRequest(
            reader.ReadByte("slot"),
            reader.ReadUInt16("register"),
            reader.ReadByte("count"),
            reader.ReadUInt16("periodMs"),
            (SubscribeMode)reader.ReadByte("mode"));
        reader.EnsureEnd();
        if (request.Count == 0)
        {
            throw reader.Invalid("count", "must be at least 1");
        }

        if (request.PeriodMs < MinPeriodMs)
        {
            throw reader.Invalid("periodMs", $"must be at least {MinPeriodMs}; {request.PeriodMs} was sent");
        }

        if (request.Mode is not (SubscribeMode.Periodic or SubscribeMode.OnChange))
        {
            throw reader.Invalid("mode", $"must be 0 (periodic) or 1 (on change); {(byte)request.Mode} was sent");
        }

        return request;
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(Slot);
        writer.WriteUInt16(Register);
        writer.WriteByte(Count);
        writer.WriteUInt16(PeriodMs);
        writer.WriteByte((byte)Mode);
        return writer.Written;
    }
}
