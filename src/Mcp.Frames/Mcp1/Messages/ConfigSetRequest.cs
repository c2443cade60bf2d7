using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The CONFIG_SET request body: <c>slot u8</c>, <c>expectedVersion u32</c>, <c>n u8</c>, n × (<c>register u16</c>, <c>value i32</c>).</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="ExpectedVersion">The version the change is based on; a stale one is answered VERSION_CONFLICT.</param>
/// <param name="Entries">The registers to change (only these change).</param>
public sealed record ConfigSetRequest(byte Slot, uint ExpectedVersion, IReadOnlyList<ConfigEntry> Entries) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 6 + (Entries.Count * 6);

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq</c>.</param>
    /// <returns>The request.</returns>
    /// <exception cref="ProtocolException">The body is malformed.</exception>
    public static ConfigSetRequest Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "CONFIG_SET request");
        byte slot = reader.ReadByte("slot");
        uint expected = reader.ReadUInt32("expectedVersion");
        ConfigEntry[] entries = ConfigEntries.Read(ref reader);
        reader.EnsureEnd();
        return new ConfigSetRequest(slot, expected, entries);
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(Slot);
        writer.WriteUInt32(ExpectedVersion);
        ConfigEntries.Write(ref writer, Entries);
        return writer.Written;
    }
}
