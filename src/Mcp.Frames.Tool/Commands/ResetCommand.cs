using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Tool.Cli;

namespace Mcp.Frames.Tool.Commands;

/// <summary><c>mcp reset</c>: RESET; the device answers, then restarts (and drops TCP links).</summary>
internal static class ResetCommand
{
    public static Command Create(ToolContext context)
    {
        Option<int> mode = CliOptions.Integer("--mode", "N", "The RESET mode (0 = reboot)", 0, 255, defaultValue: 0);
        var command = new Command("reset", "Restart the device (RESET); subscriptions die with it") { mode };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            byte m = (byte)parsed.GetValue(mode);
            await link.Client.ResetAsync(m, link.Requests, cancellationToken).ConfigureAwait(false);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject { ["type"] = "reset", ["mode"] = m, ["acknowledged"] = true });
            }
            else
            {
                context.Output.Line($"RESET (mode {m}) acknowledged by {link.Name}; the device restarts now");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
