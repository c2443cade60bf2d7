using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The CONFIG_GET response body: <c>version u32</c>, <c>n u8</c>, n × (<c>register u16</c>, <c>value i32</c>).</summary>
/// <param name="Version">The configuration's version.</param>
/// <param name="Entries">Every configuration register of the module.</param>
public sealed record ConfigSnapshot(uint Version, IReadOnlyList<ConfigEntry> Entries) : IFramePayload
{
    /// <inheritdoc />
    public int MaxLength => 5 + (Entries.Count * 6);

    /// <summary>Parses the body.</summary>
    /// <param name="body">The body after <c>seq, status</c>.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ProtocolException">The body is malformed.</exception>
    public static ConfigSnapshot Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "CONFIG_GET response");
        uint version = reader.ReadUInt32("version");
        ConfigEntry[] entries = ConfigEntries.Read(ref reader);
        reader.EnsureEnd();
        return new ConfigSnapshot(version, entries);
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteUInt32(Version);
        ConfigEntries.Write(ref writer, Entries);
        return writer.Written;
    }
}
