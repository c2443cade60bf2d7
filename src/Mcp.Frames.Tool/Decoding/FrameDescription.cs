using System.Text.Json.Nodes;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tool.Cli;

namespace Mcp.Frames.Tool.Decoding;

/// <summary>A frame as the tool shows it: command, name, class, length, payload and the MCP/1 decoding.</summary>
internal static class FrameDescription
{
    /// <summary>The frame's fields for JSON.</summary>
    public static JsonObject ToJson(byte command, ReadOnlySpan<byte> payload) => new()
    {
        ["cmd"] = command,
        ["cmdName"] = McpCommand.GetName(command),
        ["class"] = Mcp1Decoder.ClassOf(command),
        ["len"] = payload.Length,
        ["payload"] = HexText.Compact(payload),
        ["mcp1"] = Mcp1Decoder.Decode(command, payload),
    };

    /// <summary>The frame on one line: <c>0x90 READ-RESP len 6 [07 00 66 08 00 00] seq 7, status OK, values [2150]</c>.</summary>
    public static string ToLine(byte command, ReadOnlySpan<byte> payload) =>
        $"0x{command:X2} {McpCommand.GetName(command),-15} len {payload.Length,3}  [{HexText.Spaced(payload)}]  {Mcp1Decoder.ToText(Mcp1Decoder.Decode(command, payload))}";
}
