using System.Runtime.InteropServices;
using Mcp.Frames.FirmwareSim.CommandLine;

// firmware-sim: dotnet run --project firmware-sim/Mcp.Frames.FirmwareSim.Host -- [options]; see firmware-sim/README.md.
using var stop = new CancellationTokenSource();

void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // shut down cleanly and exit 0 instead of being killed
    stop.Cancel();
}

using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
try
{
    return await SimCommandLine.RunAsync(args, Console.Out, Console.Error, stop.Token);
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    // A failure nobody anticipated: say what it was and exit 1 rather than abort with a core dump.
    await Console.Error.WriteLineAsync($"firmware-sim: unexpected error: {ex}");
    return SimCommandLine.ExitFailure;
}
