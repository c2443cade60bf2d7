using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>
/// The firmware-sim executable run as a real process (<c>dotnet Mcp.Frames.FirmwareSim.Host.dll</c>, built next to the
/// tests by the project reference): its standard output line by line, its standard error, signals, the exit code.
/// Killed on disposal if still running.
/// </summary>
internal sealed class SimProcess : IAsyncDisposable
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);
    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SimProcess(Process process) => _process = process;

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "Mcp.Frames.FirmwareSim.Host.dll");

    public int Id => _process.Id;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static SimProcess Start(params string[] args) => Start(launcher: [], args);

    /// <summary>Starts the host with at most <paramref name="openFiles"/> file descriptors (through util-linux <c>prlimit</c>, which execs it: the process id is the host's).</summary>
    public static SimProcess Start(int openFiles, params string[] args) => Start(launcher: ["prlimit", $"--nofile={openFiles}:{openFiles}"], args);

    /// <summary>
    /// Starts the host with SIGINT at its default disposition (through coreutils <c>env --default-signal</c>, which
    /// execs it). A process started from a shell's background job inherits SIGINT ignored, and a .NET process then
    /// keeps ignoring it, as a background job should; a test of SIGINT must not depend on how it was started.
    /// </summary>
    public static SimProcess StartWithSigIntDefault(params string[] args) => Start(launcher: ["env", "--default-signal=INT"], args);

    private static SimProcess Start(string[] launcher, string[] args)
    {
        string dotnet = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var start = new ProcessStartInfo(launcher.Length == 0 ? dotnet : launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (launcher.Length > 0)
        {
            foreach (string arg in launcher.AsSpan(1))
            {
                start.ArgumentList.Add(arg);
            }

            start.ArgumentList.Add(dotnet);
        }

        start.ArgumentList.Add(HostDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var sim = new SimProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                sim._stdout.Writer.TryComplete();
                sim._stdoutClosed.TrySetResult();
            }
            else
            {
                sim._stdout.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                sim._stderrClosed.TrySetResult();
                return;
            }

            lock (sim._stderr)
            {
                sim._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sim;
    }

    /// <summary>The next line of standard output (bounded).</summary>
    public async Task<string> ReadLineAsync()
    {
        try
        {
            return await _stdout.Reader.ReadAsync().AsTask().Within();
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"firmware-sim ended without printing the expected line. Standard error:\n{StandardError}");
        }
    }

    /// <summary>Waits (bounded) for the process to exit and its output to close; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var deadline = new CancellationTokenSource(ExitTimeout);
        await _process.WaitForExitAsync(deadline.Token);
        await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(ExitTimeout);
        return _process.ExitCode;
    }

    /// <summary>Sends a signal with kill(1).</summary>
    public void Signal(int signal)
    {
        using Process kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start");
        kill.WaitForExit(10_000);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var deadline = new CancellationTokenSource(ExitTimeout);
            await _process.WaitForExitAsync(deadline.Token);
        }

        _process.Dispose();
    }
}
