namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The <c>n u8, n × (register u16, value i32)</c> list shared by CONFIG_GET and CONFIG_SET.</summary>
internal static class ConfigEntries
{
    public static ConfigEntry[] Read(ref McpBodyReader reader)
    {
        int n = reader.ReadByte("n");
        var entries = new ConfigEntry[n];
        for (int i = 0; i < n; i++)
        {
            entries[i] = new ConfigEntry(reader.ReadUInt16($"entries[{i}].register"), reader.ReadInt32($"entries[{i}].value"));
        }

        return entries;
    }

    public static void Write(ref McpBodyWriter writer, IReadOnlyList<ConfigEntry> entries)
    {
        writer.WriteByte(checked((byte)entries.Count));
        foreach (ConfigEntry entry in entries)
        {
            writer.WriteUInt16(entry.Register);
            writer.WriteInt32(entry.Value);
        }
    }
}
