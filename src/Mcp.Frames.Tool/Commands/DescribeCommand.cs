using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Decoding;
using Mcp.Frames.Tool.Linking;
using Mcp.Frames.Tool.Output;
using Spectre.Console;

namespace Mcp.Frames.Tool.Commands;

/// <summary><c>mcp describe [--slot N]</c>: HELLO, then DESCRIBE (all pages) of one module or of every module.</summary>
internal static class DescribeCommand
{
    public static Command Create(ToolContext context)
    {
        Option<int> slot = CliOptions.Integer("--slot", "N", "Only this module (default: every module HELLO lists)", 0, 255);
        var command = new Command("describe", "List the registers of one module or of every module (DESCRIBE)") { slot };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            DeviceInfo device = await link.Client.HelloAsync(link.Requests, cancellationToken).ConfigureAwait(false);
            IEnumerable<(byte Slot, string Name)> modules = parsed.GetResult(slot) is null
                ? device.Modules.Select(m => (m.Slot, m.Name))
                : [((byte)parsed.GetValue(slot), device.Modules.FirstOrDefault(m => m.Slot == parsed.GetValue(slot))?.Name ?? "?")];
            var table = ToolOutput.NewTable("slot", "module", "register", "name", "access");
            foreach ((byte moduleSlot, string name) in modules)
            {
                IReadOnlyList<RegisterInfo> registers = await DescribeAsync(link, moduleSlot, cancellationToken).ConfigureAwait(false);
                if (context.Output.Json)
                {
                    context.Output.Emit(new JsonObject
                    {
                        ["type"] = "module",
                        ["slot"] = moduleSlot,
                        ["module"] = name,
                        ["registers"] = new JsonArray([.. registers.Select(r => (JsonNode)new JsonObject { ["register"] = r.Address, ["name"] = r.Name, ["access"] = Mcp1Decoder.Access(r.Access) })]),
                    });
                    continue;
                }

                foreach (RegisterInfo register in registers)
                {
                    table.AddRow(HelloCommand.Invariant(moduleSlot), ToolOutput.Cell(name), HelloCommand.Invariant(register.Address), ToolOutput.Cell(register.Name), Mcp1Decoder.Access(register.Access));
                }
            }

            if (!context.Output.Json)
            {
                context.Output.Render(table);
                context.Output.Line("access: r read, w write, c configuration (changed with config set)");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>DESCRIBE of one module, every page.</summary>
    internal static Task<IReadOnlyList<RegisterInfo>> DescribeAsync(DeviceLink link, byte slot, CancellationToken cancellationToken) =>
        link.Client.DescribeAsync(slot, link.Requests, cancellationToken);
}
