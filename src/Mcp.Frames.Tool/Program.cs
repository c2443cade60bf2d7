using System.Runtime.InteropServices;
using Mcp.Frames.Tool;

// mcp: see `mcp --help` and the README section "The `mcp` tool".
using var stop = new CancellationTokenSource();

void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // end streaming commands (subscribe, monitor, sniff, sim) cleanly with their summary
    stop.Cancel();
}

using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
return await ToolApp.RunAsync(args, Console.Out, Console.Error, stop.Token, interactive: !Console.IsOutputRedirected);
