using System.Diagnostics;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// A pair of connected pseudo-terminals made by <c>socat</c>, reachable through the links <see cref="A"/> and
/// <see cref="B"/> in a temporary directory of their own. Killing socat hangs both ends up, like unplugging a cable;
/// starting it again recreates the links with the same paths.
/// </summary>
internal sealed class SocatPty : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(10);
    private Process? _process;

    private SocatPty(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string A => Path.Combine(Directory, "a");

    public string B => Path.Combine(Directory, "b");

    public static async Task<SocatPty> StartAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Pseudo-terminal tests need Linux and socat; the project's tests run on Linux.");
        }

        if (FindSocat() is null)
        {
            Assert.Fail("socat is not installed: eng/test.sh installs it (apt-get install socat)");
        }

        string directory = Path.Combine(Path.GetTempPath(), "mcp-pty-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var pty = new SocatPty(directory);
        await pty.RestartAsync();
        return pty;
    }

    /// <summary>Starts socat (again), after removing links a killed socat left behind.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        File.Delete(A);
        File.Delete(B);
        var start = new ProcessStartInfo(FindSocat()!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-d", "-d", $"pty,raw,echo=0,link={A}", $"pty,raw,echo=0,link={B}" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        _process.ErrorDataReceived += (_, _) => { };
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        // Waiting for an external process: a bounded poll of the file system for its links.
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(A) && File.Exists(B)))
        {
            if (_process.HasExited || clock.Elapsed > StartLimit)
            {
                Assert.Fail($"socat did not create {A} and {B} within {StartLimit.TotalSeconds} s (exited: {_process.HasExited})");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Stops socat (SIGSTOP): bytes written to one end wait in its pty instead of moving on to the other.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a paused socat go on (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    /// <summary>Kills socat (SIGKILL): both pseudo-terminals hang up.</summary>
    public async Task KillAsync()
    {
        Process? process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task SignalAsync(string signal)
    {
        Process socat = _process ?? throw new InvalidOperationException("socat is not running");
        using Process kill = Process.Start("kill", [signal, socat.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(kill.ExitCode, Is.Zero, $"kill {signal} {socat.Id}");
    }

    private static string? FindSocat() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "socat"))
            .FirstOrDefault(File.Exists);
}
