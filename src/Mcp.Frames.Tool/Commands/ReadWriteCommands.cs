using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Tool.Cli;

namespace Mcp.Frames.Tool.Commands;

/// <summary><c>mcp read</c> and <c>mcp write</c>: live registers (READ, WRITE).</summary>
internal static class ReadWriteCommands
{
    public static Command CreateRead(ToolContext context)
    {
        Option<int> slot = CliOptions.Integer("--slot", "N", "The module's slot", 0, 255, required: true);
        Option<int> register = CliOptions.Integer("--register", "R", "The first register", 0, ushort.MaxValue, required: true);
        Option<int> count = CliOptions.Integer("--count", "C", "How many consecutive registers", 1, 255, defaultValue: 1);
        var command = new Command("read", "Read live registers (READ)") { slot, register, count };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            byte s = (byte)parsed.GetValue(slot);
            ushort r = (ushort)parsed.GetValue(register);
            int[] values = await link.Client.ReadAsync(s, r, (byte)parsed.GetValue(count), link.Requests, cancellationToken).ConfigureAwait(false);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject { ["type"] = "read", ["slot"] = s, ["register"] = r, ["values"] = ToArray(values) });
            }
            else
            {
                for (int i = 0; i < values.Length; i++)
                {
                    context.Output.Line($"slot {s} register {r + i} = {values[i]}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command CreateWrite(ToolContext context)
    {
        Option<int> slot = CliOptions.Integer("--slot", "N", "The module's slot", 0, 255, required: true);
        Option<int> register = CliOptions.Integer("--register", "R", "The first register", 0, ushort.MaxValue, required: true);
        var values = new Argument<int[]>("VALUE")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Values for consecutive registers from R (i32; decimal or 0x hex)",
            CustomParser = result =>
            {
                int[] parsed = new int[result.Tokens.Count];
                for (int i = 0; i < parsed.Length; i++)
                {
                    if (!CliNumbers.TryParseInt32(result.Tokens[i].Value, out parsed[i], out string? error))
                    {
                        result.AddError($"VALUE {i + 1}: {error}.");
                    }
                }

                return parsed;
            },
        };
        var command = new Command("write", "Write live registers, all or nothing (WRITE)") { slot, register, values };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            byte s = (byte)parsed.GetValue(slot);
            ushort r = (ushort)parsed.GetValue(register);
            int[] written = parsed.GetValue(values) ?? [];
            await link.Client.WriteAsync(s, r, written, link.Requests, cancellationToken).ConfigureAwait(false);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject { ["type"] = "write", ["slot"] = s, ["register"] = r, ["values"] = ToArray(written) });
            }
            else
            {
                context.Output.Line($"wrote {written.Length} value{(written.Length == 1 ? "" : "s")} to slot {s} from register {r}: {string.Join(' ', written)}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    internal static JsonArray ToArray(IEnumerable<int> values) => [.. values.Select(v => (JsonNode)v)];
}
