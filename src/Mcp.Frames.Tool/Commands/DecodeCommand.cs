using System.Buffers;
using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Decoding;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp decode HEX</c>: offline, no device. Parses the frame(s) as a receiver would and prints, for each, cmd name,
/// len, payload, the check, and the MCP/1 decoding; or the exact failure. Exit 0 when the bytes are valid frames and
/// nothing else, 1 when anything was rejected or skipped, 2 for text that is not hex.
/// </summary>
internal static class DecodeCommand
{
    public static Command Create(ToolContext context)
    {
        var hex = new Argument<string[]>("HEX") { Arity = ArgumentArity.OneOrMore, Description = "The bytes, such as 5A020100075E or \"5A 02 01 00 07 5E\"" };
        Option<int> max = CliOptions.Integer("--max-payload", "N", "The payload limit a receiver applies (PROTOCOL.md §1.1 rule 2)", 0, FrameFormat.AbsoluteMaxPayloadLength, defaultValue: FrameFormat.AbsoluteMaxPayloadLength);
        var command = new Command("decode", "Decode frames offline: cmd, len, payload, check, MCP/1 fields; or the exact failure") { hex, max };
        context.SetAction(command, (parsed, _) =>
        {
            string text = string.Join(' ', parsed.GetValue(hex) ?? []);
            if (!HexText.TryParse(text, out byte[] bytes, out string? error))
            {
                throw new UsageException($"decode: {error} (in '{text}').");
            }

            if (bytes.Length == 0)
            {
                throw new UsageException("decode: no bytes given.");
            }

            return Task.FromResult(Decode(context, bytes, parsed.GetValue(max)));
        });
        return command;
    }

    private static int Decode(ToolContext context, byte[] bytes, int maxPayload)
    {
        List<ScanItem> items = FrameScanner.Scan(bytes, maxPayload);
        foreach (ScanItem item in items)
        {
            if (context.Output.Json)
            {
                context.Output.Emit(ToJson(item, bytes));
            }
            else
            {
                WriteText(context, item, bytes);
            }
        }

        // The library's receiver over the same bytes, to the end of the stream: its counters are the summary.
        var parser = new FrameParser(maxPayload);
        var sequence = new ReadOnlySequence<byte>(bytes);
        while (parser.TryParse(ref sequence, out _, isCompleted: true))
        {
        }

        FrameParserCounters counters = parser.Counters;
        bool clean = counters.Delivered > 0 && counters.Delivered == items.Count;
        if (context.Output.Json)
        {
            context.Output.Emit(new JsonObject
            {
                ["type"] = "summary",
                ["frames"] = counters.Delivered,
                ["skippedBytes"] = counters.SkippedBytes,
                ["oversize"] = counters.Oversize,
                ["badChecksum"] = counters.BadChecksum,
                ["truncated"] = counters.Truncated,
                ["ok"] = clean,
            });
        }
        else
        {
            context.Output.Line($"{counters.Delivered} frame{(counters.Delivered == 1 ? "" : "s")} OK; receiver counters: skipped {counters.SkippedBytes} bytes, oversize {counters.Oversize}, bad checksum {counters.BadChecksum}, truncated {counters.Truncated}");
        }

        return clean ? ExitCodes.Ok : ExitCodes.DeviceError;
    }

    private static void WriteText(ToolContext context, ScanItem item, byte[] bytes)
    {
        if (item.Kind != ScanKind.Frame)
        {
            context.Output.Line(item.Message!);
            return;
        }

        byte[] payload = item.Payload;
        context.Output.Line($"frame at offset {item.Offset} ({item.Length} bytes): {HexText.Spaced(bytes.AsSpan(item.Offset, item.Length))}");
        context.Output.Line($"  cmd      0x{item.Command:X2} {McpCommand.GetName(item.Command)} ({Mcp1Decoder.ClassOf(item.Command)})");
        context.Output.Line($"  len      {item.PayloadLength}");
        context.Output.Line($"  payload  {(payload.Length == 0 ? "(empty)" : HexText.Spaced(payload))}");
        context.Output.Line($"  check    0x{item.Check:X2} OK");
        context.Output.Line($"  MCP/1    {Mcp1Decoder.ToText(Mcp1Decoder.Decode(item.Command, payload))}");
    }

    private static JsonObject ToJson(ScanItem item, byte[] bytes)
    {
        if (item.Kind != ScanKind.Frame)
        {
            return new JsonObject
            {
                ["type"] = "rejected",
                ["kind"] = item.Kind switch
                {
                    ScanKind.Skipped => "skipped",
                    ScanKind.Oversize => "oversize",
                    ScanKind.BadChecksum => "bad-checksum",
                    _ => "truncated",
                },
                ["offset"] = item.Offset,
                ["length"] = item.Length,
                ["message"] = item.Message,
            };
        }

        JsonObject frame = FrameDescription.ToJson(item.Command, item.Payload);
        var result = new JsonObject
        {
            ["type"] = "frame",
            ["offset"] = item.Offset,
            ["frame"] = HexText.Compact(bytes.AsSpan(item.Offset, item.Length)),
        };
        foreach ((string key, JsonNode? value) in frame.ToList())
        {
            frame.Remove(key);
            result[key] = value;
        }

        result["check"] = item.Check;
        result["checkOk"] = true;
        return result;
    }
}
