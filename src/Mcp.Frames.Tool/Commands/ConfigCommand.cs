using System.CommandLine;
using System.Text.Json.Nodes;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Cli;
using Mcp.Frames.Tool.Output;
using Spectre.Console;

namespace Mcp.Frames.Tool.Commands;

/// <summary><c>mcp config get|set</c>: a module's persisted configuration (CONFIG_GET, CONFIG_SET).</summary>
internal static class ConfigCommand
{
    public static Command Create(ToolContext context)
    {
        var command = new Command("config", "A module's persisted configuration: get, set");
        command.Subcommands.Add(CreateGet(context));
        command.Subcommands.Add(CreateSet(context));
        return command;
    }

    private static Command CreateGet(ToolContext context)
    {
        Option<int> slot = CliOptions.Integer("--slot", "N", "The module's slot", 0, 255, required: true);
        var command = new Command("get", "Read a module's configuration and its version (CONFIG_GET)") { slot };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            byte s = (byte)parsed.GetValue(slot);
            ConfigSnapshot snapshot = await link.Client.ConfigGetAsync(s, link.Requests, cancellationToken).ConfigureAwait(false);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject { ["type"] = "config", ["slot"] = s, ["version"] = snapshot.Version, ["entries"] = Entries(snapshot.Entries) });
                return ExitCodes.Ok;
            }

            context.Output.Line($"slot {s} configuration version {snapshot.Version}");
            var table = ToolOutput.NewTable("register", "value");
            foreach (ConfigEntry entry in snapshot.Entries)
            {
                table.AddRow(HelloCommand.Invariant(entry.Register), HelloCommand.Invariant(entry.Value));
            }

            context.Output.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateSet(ToolContext context)
    {
        Option<int> slot = CliOptions.Integer("--slot", "N", "The module's slot", 0, 255, required: true);
        var expect = new Option<long>("--expect-version")
        {
            HelpName = "V",
            Description = "Change only if the configuration is still at version V (default: read the current version first)",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (CliNumbers.TryParse(text, 0, uint.MaxValue, out long value, out string? error))
                {
                    return value;
                }

                result.AddError($"--expect-version: {error}.");
                return 0;
            },
        };
        var entries = new Argument<ConfigEntry[]>("REG=VALUE")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Configuration registers to change, such as 0=250",
            CustomParser = result =>
            {
                var parsed = new ConfigEntry[result.Tokens.Count];
                var seen = new Dictionary<long, string>();
                for (int i = 0; i < parsed.Length; i++)
                {
                    string text = result.Tokens[i].Value;
                    int eq = text.IndexOf('=', StringComparison.Ordinal);
                    if (eq < 0)
                    {
                        result.AddError($"'{text}': expected REG=VALUE, such as 0=250.");
                        continue;
                    }

                    if (!CliNumbers.TryParse(text[..eq], 0, ushort.MaxValue, out long register, out string? error))
                    {
                        result.AddError($"'{text}': REG {error}.");
                        continue;
                    }

                    if (!CliNumbers.TryParseInt32(text[(eq + 1)..], out int value, out error))
                    {
                        result.AddError($"'{text}': VALUE {error}.");
                        continue;
                    }

                    if (!seen.TryAdd(register, text))
                    {
                        result.AddError($"'{text}': register {register} is given twice (also '{seen[register]}').");
                        continue;
                    }

                    parsed[i] = new ConfigEntry((ushort)register, value);
                }

                return parsed;
            },
        };
        var command = new Command("set", "Change configuration registers (CONFIG_SET, optimistic: VERSION_CONFLICT if the version moved)") { slot, expect, entries };
        context.Link.AddTo(command);
        context.SetDeviceAction(command, async (parsed, link, cancellationToken) =>
        {
            byte s = (byte)parsed.GetValue(slot);
            ConfigEntry[] changes = parsed.GetValue(entries) ?? [];
            uint expected = parsed.GetResult(expect) is null
                ? (await link.Client.ConfigGetAsync(s, link.Requests, cancellationToken).ConfigureAwait(false)).Version
                : (uint)parsed.GetValue(expect);
            uint version = await link.Client.ConfigSetAsync(s, expected, changes, link.Requests, cancellationToken).ConfigureAwait(false);
            if (context.Output.Json)
            {
                context.Output.Emit(new JsonObject { ["type"] = "config-set", ["slot"] = s, ["previousVersion"] = expected, ["version"] = version, ["entries"] = Entries(changes) });
            }
            else
            {
                context.Output.Line($"slot {s} configuration version {expected} -> {version}: {string.Join(' ', changes.Select(e => $"{e.Register}={e.Value}"))}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static JsonArray Entries(IEnumerable<ConfigEntry> entries) =>
        [.. entries.Select(e => (JsonNode)new JsonObject { ["register"] = e.Register, ["value"] = e.Value })];
}
