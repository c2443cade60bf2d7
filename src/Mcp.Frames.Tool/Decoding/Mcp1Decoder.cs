using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Cli;

namespace Mcp.Frames.Tool.Decoding;

/// <summary>
/// What MCP/1 (PROTOCOL.md §2) says about a frame: its class, <c>seq</c>, <c>status</c>, and the body of the standard
/// commands, through the library's message codecs. A body the codecs refuse is reported with their message.
/// </summary>
internal static class Mcp1Decoder
{
    /// <summary>The class of a command (PROTOCOL.md §2.1).</summary>
    public static string ClassOf(byte command) =>
        McpCommand.IsResponse(command) ? "response" : McpCommand.IsOneWay(command) ? "one-way" : command >= 0x50 ? "vendor request" : "request";

    /// <summary>Decodes a frame's payload. The result has <c>seq</c>, <c>status</c> and the body's fields, or <c>error</c>.</summary>
    public static JsonObject Decode(byte command, ReadOnlySpan<byte> payload)
    {
        var result = new JsonObject();
        try
        {
            if (McpCommand.IsResponse(command))
            {
                DecodeResponse((byte)(command & 0x7F), payload, result);
            }
            else if (McpCommand.IsOneWay(command))
            {
                DecodeOneWay(command, payload, result);
            }
            else
            {
                DecodeRequest(command, payload, result); // 0x00-0x3F, and vendor requests 0x50-0x7F
            }
        }
        catch (ProtocolException ex)
        {
            result["error"] = ex.Message;
        }

        return result;
    }

    private static void DecodeRequest(byte command, ReadOnlySpan<byte> payload, JsonObject result)
    {
        if (payload.IsEmpty)
        {
            result["error"] = "a request with an empty payload has no seq: it cannot be answered and is dropped as malformed (PROTOCOL.md §2.1)";
            return;
        }

        result["seq"] = payload[0];
        ReadOnlySpan<byte> body = payload[1..];
        switch (command)
        {
            case McpCommand.Hello:
                HelloRequest hello = HelloRequest.Read(body);
                result["protoVersion"] = hello.ProtocolVersion;
                result["maxPayload"] = hello.MaxPayload;
                break;
            case McpCommand.Ping:
                result["data"] = HexText.Compact(body);
                break;
            case McpCommand.Reset:
                result["mode"] = SingleByte(body, "RESET request", "mode");
                break;
            case McpCommand.Describe:
                DescribeRequest describe = DescribeRequest.Read(body);
                result["slot"] = describe.Slot;
                result["first"] = describe.First;
                break;
            case McpCommand.Read:
                ReadRequest read = ReadRequest.Read(body);
                result["slot"] = read.Slot;
                result["register"] = read.Register;
                result["count"] = read.Count;
                break;
            case McpCommand.Write:
                WriteRequest write = WriteRequest.Read(body);
                result["slot"] = write.Slot;
                result["register"] = write.Register;
                result["values"] = Values(write.Values.Span);
                break;
            case McpCommand.Subscribe:
                SubscribeRequest subscribe = SubscribeRequest.Read(body);
                result["slot"] = subscribe.Slot;
                result["register"] = subscribe.Register;
                result["count"] = subscribe.Count;
                result["periodMs"] = subscribe.PeriodMs;
                result["mode"] = subscribe.Mode == SubscribeMode.OnChange ? "on-change" : "periodic";
                break;
            case McpCommand.Unsubscribe:
                result["subId"] = SingleByte(body, "UNSUBSCRIBE request", "subId");
                break;
            case McpCommand.ConfigGet:
                result["slot"] = SingleByte(body, "CONFIG_GET request", "slot");
                break;
            case McpCommand.ConfigSet:
                ConfigSetRequest set = ConfigSetRequest.Read(body);
                result["slot"] = set.Slot;
                result["expectedVersion"] = set.ExpectedVersion;
                result["entries"] = Entries(set.Entries);
                break;
            default:
                result["body"] = HexText.Compact(body);
                break;
        }
    }

    private static void DecodeOneWay(byte command, ReadOnlySpan<byte> payload, JsonObject result)
    {
        if (command != McpCommand.Event)
        {
            result["body"] = HexText.Compact(payload);
            return;
        }

        McpEvent evt = McpEvent.Read(payload.ToArray());
        result["subId"] = evt.SubscriptionId;
        result["eventSeq"] = evt.EventSeq;
        result["uptimeMs"] = evt.UptimeMs;
        result["values"] = Values(evt.ToArray());
    }

    private static void DecodeResponse(byte request, ReadOnlySpan<byte> payload, JsonObject result)
    {
        if (payload.Length < 2)
        {
            result["error"] = $"a response needs seq and status (2 bytes); the payload has {payload.Length}";
            return;
        }

        result["seq"] = payload[0];
        DecodeResponseBody(request, payload[1], payload[2..], result);
    }

    /// <summary>Decodes the status and body of a response (after its <c>seq</c>) into <paramref name="result"/>.</summary>
    public static void DecodeResponseBody(byte request, byte status, ReadOnlySpan<byte> body, JsonObject result)
    {
        result["status"] = McpStatusNames.Get(status);
        if (status != (byte)McpStatus.Ok)
        {
            if (!body.IsEmpty)
            {
                result["message"] = Utf8OrHex(body);
            }

            return;
        }

        switch (request)
        {
            case McpCommand.Hello:
                DeviceInfo device = DeviceInfo.Read(body);
                result["protoVersion"] = device.ProtocolVersion;
                result["maxPayload"] = device.MaxPayload;
                result["deviceId"] = device.DeviceId;
                result["firmware"] = device.Firmware.ToString();
                result["bootId"] = device.BootId;
                result["modules"] = Modules(device.Modules);
                break;
            case McpCommand.Ping:
                result["data"] = HexText.Compact(body);
                break;
            case McpCommand.Describe:
                DescribePage page = DescribePage.Read(body);
                result["total"] = page.Total;
                result["first"] = page.First;
                result["registers"] = Registers(page.Registers);
                break;
            case McpCommand.Read:
                if (body.Length % 4 != 0)
                {
                    result["error"] = $"READ response: {body.Length} body bytes are not a whole number of i32 values";
                    return;
                }

                int[] values = new int[body.Length / 4];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadInt32LittleEndian(body[(i * 4)..]);
                }

                result["values"] = Values(values);
                break;
            case McpCommand.Subscribe:
                result["subId"] = SingleByte(body, "SUBSCRIBE response", "subId");
                break;
            case McpCommand.ConfigGet:
                ConfigSnapshot snapshot = ConfigSnapshot.Read(body);
                result["version"] = snapshot.Version;
                result["entries"] = Entries(snapshot.Entries);
                break;
            case McpCommand.ConfigSet:
                var reader = new McpBodyReader(body, "CONFIG_SET response");
                result["version"] = reader.ReadUInt32("version");
                reader.EnsureEnd();
                break;
            case McpCommand.Write or McpCommand.Unsubscribe or McpCommand.Reset:
                if (!body.IsEmpty)
                {
                    result["body"] = HexText.Compact(body);
                }

                break;
            default:
                result["body"] = HexText.Compact(body);
                break;
        }
    }

    /// <summary>Renders a decoding on one line: <c>seq 7, status OK, values [1, 2]</c>.</summary>
    public static string ToText(JsonObject decoded)
    {
        var text = new StringBuilder();
        foreach ((string key, JsonNode? value) in decoded)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            text.Append(key).Append(' ').Append(ToText(value));
        }

        return text.ToString();
    }

    private static string ToText(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray array when array.All(item => item is JsonObject) => "[" + string.Join("; ", array.Select(item => ToText((JsonObject)item!))) + "]",
        JsonArray array => "[" + string.Join(", ", array.Select(ToText)) + "]",
        JsonObject inner => "(" + ToText(inner) + ")",
        JsonValue value when value.TryGetValue(out string? s) => s.Length == 0 ? "(empty)" : s,
        _ => node.ToJsonString(),
    };

    private static byte SingleByte(ReadOnlySpan<byte> body, string message, string field)
    {
        var reader = new McpBodyReader(body, message);
        byte value = reader.ReadByte(field);
        reader.EnsureEnd();
        return value;
    }

    private static string Utf8OrHex(ReadOnlySpan<byte> body)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return "0x" + HexText.Compact(body);
        }
    }

    private static JsonArray Values(ReadOnlySpan<int> values)
    {
        var array = new JsonArray();
        foreach (int value in values)
        {
            array.Add(value);
        }

        return array;
    }

    private static JsonArray Entries(IReadOnlyList<ConfigEntry> entries) =>
        [.. entries.Select(e => (JsonNode)new JsonObject { ["register"] = e.Register, ["value"] = e.Value })];

    private static JsonArray Modules(IReadOnlyList<ModuleInfo> modules) =>
        [.. modules.Select(m => (JsonNode)new JsonObject { ["slot"] = m.Slot, ["type"] = m.Type, ["version"] = m.Version, ["name"] = m.Name })];

    private static JsonArray Registers(IReadOnlyList<RegisterInfo> registers) =>
        [.. registers.Select(r => (JsonNode)new JsonObject { ["register"] = r.Address, ["name"] = r.Name, ["access"] = Access(r.Access) })];

    /// <summary>Register access as <c>rwc</c> letters, <c>-</c> for a missing right.</summary>
    public static string Access(RegisterAccess access) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(access.HasFlag(RegisterAccess.Read) ? 'r' : '-')}{(access.HasFlag(RegisterAccess.Write) ? 'w' : '-')}{(access.HasFlag(RegisterAccess.Config) ? 'c' : '-')}");
}
