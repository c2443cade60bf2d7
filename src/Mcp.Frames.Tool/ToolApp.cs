using System.CommandLine;
using System.CommandLine.Invocation;
using Mcp.Frames.Tool.Commands;
using Mcp.Frames.Tool.Output;

namespace Mcp.Frames.Tool;

/// <summary>
/// The <c>mcp</c> tool (issue 7), runnable in-process: <see cref="RunAsync"/> parses the arguments, runs one command
/// and returns its exit code (<see cref="ExitCodes"/>). Program.cs calls it with the console; tests call it with
/// string writers.
/// </summary>
internal static class ToolApp
{
    /// <summary>Runs the tool.</summary>
    /// <param name="args">The arguments after <c>mcp</c>.</param>
    /// <param name="stdout">Results.</param>
    /// <param name="stderr">Errors (<c>mcp: …</c>).</param>
    /// <param name="cancellationToken">Ctrl+C: ends streaming commands with their summary.</param>
    /// <param name="interactive">Whether <paramref name="stdout"/> is a terminal (live views, colours).</param>
    /// <param name="onSimStarted">For <c>mcp sim</c>: called with the running host (tests).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, bool interactive = false, Action<FirmwareSim.Hosting.SimHost>? onSimStarted = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        // `mcp sim …` hands every flag to firmware-sim's own parser: its --tcp listens where ours connects.
        if (args.Length > 0 && args[0] == SimCommand.Name)
        {
            return await SimCommand.RunAsync(args[1..], stdout, stderr, cancellationToken, onSimStarted).ConfigureAwait(false);
        }

        var context = new ToolContext(new ToolOutput(stdout, stderr, interactive));
        RootCommand root = CreateRoot(context);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is null or ParseErrorAction)
        {
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"mcp: {error.Message}").ConfigureAwait(false);
            }

            // The whole path of the command that failed ("config get"), from the parse, below the root.
            var names = new List<string>();
            for (System.CommandLine.Parsing.SymbolResult? result = parsed.CommandResult; result is not null; result = result.Parent)
            {
                if (result is System.CommandLine.Parsing.CommandResult { Command: var command } && command != root)
                {
                    names.Insert(0, command.Name);
                }
            }

            await stderr.WriteLineAsync($"Run 'mcp {(names.Count == 0 ? "" : string.Join(' ', names) + " ")}--help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(
            new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command tree.</summary>
    internal static RootCommand CreateRoot(ToolContext context)
    {
        var root = new RootCommand(
            "mcp: talk to devices that speak MCP/1 frames (PROTOCOL.md) over TCP, TLS or a serial port; decode and encode frames; run the simulated device.\n"
            + "Exit codes: 0 success; 1 the device answered with an error status; 2 usage error; 3 timeout or link failure.");
        root.Options.Add(context.Json);
        root.Subcommands.Add(HelloCommand.Create(context));
        root.Subcommands.Add(DescribeCommand.Create(context));
        root.Subcommands.Add(PingCommand.Create(context));
        root.Subcommands.Add(ReadWriteCommands.CreateRead(context));
        root.Subcommands.Add(ReadWriteCommands.CreateWrite(context));
        root.Subcommands.Add(SubscribeCommand.Create(context));
        root.Subcommands.Add(ConfigCommand.Create(context));
        root.Subcommands.Add(ResetCommand.Create(context));
        root.Subcommands.Add(SendCommand.Create(context));
        root.Subcommands.Add(MonitorCommand.Create(context));
        root.Subcommands.Add(SniffCommand.Create(context));
        root.Subcommands.Add(DecodeCommand.Create(context));
        root.Subcommands.Add(EncodeCommand.Create(context));
        root.Subcommands.Add(SimCommand.Create());
        return root;
    }
}
