using Mcp.Frames.Connections;

namespace Mcp.Frames.Mcp1.Messages;

/// <summary>The HELLO response body (PROTOCOL.md §2.3): who the device is and which modules it has.</summary>
public sealed record DeviceInfo : IFramePayload
{
    /// <summary>The protocol version the device speaks.</summary>
    public required byte ProtocolVersion { get; init; }

    /// <summary>The device's payload limit.</summary>
    public required ushort MaxPayload { get; init; }

    /// <summary>The device's id, exactly as the device sent it: show it through <see cref="PeerText.Escape"/>.</summary>
    public required string DeviceId { get; init; }

    /// <summary>The firmware version.</summary>
    public required Version Firmware { get; init; }

    /// <summary>Random per device start; a change means the device rebooted.</summary>
    public required uint BootId { get; init; }

    /// <summary>The modules, in the order the device lists them.</summary>
    public required IReadOnlyList<ModuleInfo> Modules { get; init; }

    /// <inheritdoc />
    public int MaxLength
    {
        get
        {
            int length = 1 + 2 + McpBodyWriter.Str8Length(DeviceId) + 3 + 4 + 1;
            foreach (ModuleInfo module in Modules)
            {
                length += 1 + 2 + 1 + McpBodyWriter.Str8Length(module.Name);
            }

            return length;
        }
    }

    /// <summary>
    /// Parses the body. Bytes after the last module are ignored: HELLO is where protocol versions meet, and a later
    /// version may append fields (every other MCP/1 body must end where its last field ends).
    /// </summary>
    /// <param name="body">The body after <c>seq, status</c>.</param>
    /// <returns>The device info.</returns>
    /// <exception cref="ProtocolException">The body is malformed.</exception>
    public static DeviceInfo Read(ReadOnlySpan<byte> body)
    {
        var reader = new McpBodyReader(body, "HELLO response");
        byte protocol = reader.ReadByte("protoVersion");
        ushort maxPayload = reader.ReadUInt16("maxPayload");
        string deviceId = reader.ReadStr8("deviceId");
        var firmware = new Version(reader.ReadByte("fwMajor"), reader.ReadByte("fwMinor"), reader.ReadByte("fwPatch"));
        uint bootId = reader.ReadUInt32("bootId");
        int count = reader.ReadByte("moduleCount");
        var modules = new ModuleInfo[count];
        for (int i = 0; i < count; i++)
        {
            modules[i] = new ModuleInfo(
                reader.ReadByte($"modules[{i}].slot"),
                reader.ReadUInt16($"modules[{i}].type"),
                reader.ReadByte($"modules[{i}].moduleVersion"),
                reader.ReadStr8($"modules[{i}].name"));
        }

        return new DeviceInfo
        {
            ProtocolVersion = protocol,
            MaxPayload = maxPayload,
            DeviceId = deviceId,
            Firmware = firmware,
            BootId = bootId,
            Modules = modules,
        };
    }

    /// <inheritdoc />
    public int WriteTo(Span<byte> destination)
    {
        var writer = new McpBodyWriter(destination);
        writer.WriteByte(ProtocolVersion);
        writer.WriteUInt16(MaxPayload);
        writer.WriteStr8(DeviceId);
        writer.WriteByte((byte)Math.Max(0, Firmware.Major));
        writer.WriteByte((byte)Math.Max(0, Firmware.Minor));
        writer.WriteByte((byte)Math.Max(0, Firmware.Build));
        writer.WriteUInt32(BootId);
        writer.WriteByte(checked((byte)Modules.Count));
        foreach (ModuleInfo module in Modules)
        {
            writer.WriteByte(module.Slot);
            writer.WriteUInt16(module.Type);
            writer.WriteByte(module.Version);
            writer.WriteStr8(module.Name);
        }

        return writer.Written;
    }
}
