using System.CommandLine;
using Mcp.Frames.FirmwareSim.CommandLine;

namespace Mcp.Frames.Tool.Commands;

/// <summary>
/// <c>mcp sim [firmware-sim flags]</c>: the simulated device host, with firmware-sim's own command line
/// (<see cref="SimCommandLine"/>, the same code as the firmware-sim executable). Its exit codes map onto the tool's:
/// a simulator that cannot start (an endpoint or port that cannot be used) is a link failure.
/// </summary>
internal static class SimCommand
{
    public const string Name = "sim";

    /// <summary>An entry for <c>mcp --help</c>; the arguments never reach this parser (see <see cref="RunAsync"/>).</summary>
    public static Command Create()
    {
        var rest = new Argument<string[]>("firmware-sim flags") { Arity = ArgumentArity.ZeroOrMore, Description = "firmware-sim's flags; see mcp sim --help" };
        var command = new Command(Name, "Run the simulated device host (firmware-sim flags: --tcp, --pty, --serial, --device, faults…; see mcp sim --help)") { rest };
        command.TreatUnmatchedTokensAsErrors = false;
        return command;
    }

    /// <summary>Runs firmware-sim's command line with everything after <c>sim</c>, until <paramref name="stop"/> fires.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken stop, Action<FirmwareSim.Hosting.SimHost>? onStarted = null)
    {
        int code = await SimCommandLine.RunAsync(args, stdout, stderr, stop, onStarted).ConfigureAwait(false);
        return code switch
        {
            SimCommandLine.ExitOk => ExitCodes.Ok,
            SimCommandLine.ExitUsage => ExitCodes.Usage,
            _ => ExitCodes.LinkFailure,
        };
    }
}
