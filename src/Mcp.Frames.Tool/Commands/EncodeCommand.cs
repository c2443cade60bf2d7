using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tool.Cli;

namespace Mcp.Frames.Tool.Commands;

/// <summary><c>mcp encode --cmd 0xNN --payload HEX</c>: offline, prints the frame's bytes (PROTOCOL.md §1).</summary>
internal static class EncodeCommand
{
    public static Command Create(ToolContext context)
    {
        Option<int> cmd = CliOptions.Integer("--cmd", "0xNN", "The command byte", 0, 255, required: true);
        Option<byte[]> payload = CliOptions.Hex("--payload", "The payload, such as \"07 00\" (default: empty)");
        var command = new Command("encode", "Encode one frame offline and print its hex") { cmd, payload };
        context.SetAction(command, (parsed, _) =>
        {
            byte command = (byte)parsed.GetValue(cmd);
            byte[] body = parsed.GetValue(payload) ?? [];
            if (body.Length > FrameFormat.AbsoluteMaxPayloadLength)
            {
                throw new UsageException($"--payload: {body.Length} bytes; a frame carries at most {FrameFormat.AbsoluteMaxPayloadLength}.");
            }

            byte[] frame = FrameWriter.ToArray(command, body);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject
                {
                    ["type"] = "frame",
                    ["cmd"] = command,
                    ["cmdName"] = McpCommand.GetName(command),
                    ["len"] = body.Length,
                    ["check"] = frame[^1],
                    ["frame"] = HexText.Compact(frame),
                });
            }
            else
            {
                context.Output.Line(HexText.Spaced(frame));
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }
}
