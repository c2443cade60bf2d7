using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Decoding;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp send --cmd 0xNN [--payload HEX]</c>: one raw request (the connection adds the <c>seq</c> byte), no
/// retries, and the raw answer whatever its status; a one-way command is sent and not answered.
/// </summary>
internal static class SendCommand
{
    public static Command Create(ToolContext context)
    {
        Option<int> cmd = CliOptions.Integer("--cmd", "0xNN", "A request (0x00-0x3F, 0x50-0x7F) or one-way (0x40-0x4F) command", 0, 255, required: true);
        Option<byte[]> payload = CliOptions.Hex("--payload", "The body after seq (for one-way commands: the whole payload), such as \"04 00 00 01\"");
        var command = new Command("send", "Send one raw request and print the raw answer") { cmd, payload };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            byte command = (byte)parsed.GetValue(cmd);
            byte[] body = parsed.GetValue(payload) ?? [];
            if (McpCommand.IsOneWay(command))
            {
                await link.Connection.SendOneWayAsync(command, body, cancellationToken).ConfigureAwait(false);
                if (context.Output.Json)
                {
                    context.Output.Emit(new JsonObject { ["type"] = "sent", ["cmd"] = command, ["cmdName"] = McpCommand.GetName(command), ["payload"] = HexText.Compact(body) });
                }
                else
                {
                    context.Output.Line($"sent one-way 0x{command:X2} {McpCommand.GetName(command)} with {body.Length} payload bytes; one-way messages are never answered");
                }

                return ExitCodes.Ok;
            }

            using Response answer = await link.Connection.SendRawRequestAsync(command, body, link.Requests.Timeout, cancellationToken).ConfigureAwait(false);
            var decoded = new JsonObject();
            Mcp1Decoder.DecodeResponseBody(command, answer.Status, answer.Body.Span, decoded);
            string statusName = McpStatusNames.Get(answer.Status);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject
                {
                    ["type"] = "answer",
                    ["cmd"] = answer.Command,
                    ["cmdName"] = McpCommand.GetName(answer.Command),
                    ["status"] = statusName,
                    ["statusCode"] = answer.Status,
                    ["body"] = HexText.Compact(answer.Body.Span),
                    ["mcp1"] = decoded,
                });
            }
            else
            {
                context.Output.Line($"answer  0x{answer.Command:X2} {McpCommand.GetName(answer.Command)}, status {statusName} (0x{answer.Status:X2}), body {answer.Body.Length} bytes: {HexText.Spaced(answer.Body.Span)}");
                context.Output.Line($"MCP/1   {Mcp1Decoder.ToText(decoded)}");
            }

            if (answer.Status == (byte)McpStatus.Ok)
            {
                return ExitCodes.Ok;
            }

            context.Output.Error.WriteLine($"mcp: the device answered {statusName} (0x{answer.Status:X2}) to {McpCommand.GetName(command)}");
            return ExitCodes.DeviceError;
        },
        check: parsed =>
        {
            if (parsed.GetValue(cmd) is >= 0x80 and var value)
            {
                throw new UsageException($"--cmd 0x{value:X2} is a response command (0x80-0xFF); send a request (0x00-0x3F, 0x50-0x7F) or a one-way command (0x40-0x4F).");
            }
        });
        return command;
    }
}
