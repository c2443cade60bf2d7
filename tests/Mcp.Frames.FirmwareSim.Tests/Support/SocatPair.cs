using System.Diagnostics;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>Two connected pseudo-terminals made by socat (<c>pty,raw,echo=0</c>), reachable through links A and B.</summary>
internal sealed class SocatPair : IAsyncDisposable
{
    private readonly Process _process;

    private SocatPair(Process process, string a, string b)
    {
        _process = process;
        A = a;
        B = b;
    }

    public string A { get; }

    public string B { get; }

    public static async Task<SocatPair> StartAsync(TempDirectory dir)
    {
        string a = dir.File("tty-a");
        string b = dir.File("tty-b");
        var start = new ProcessStartInfo("socat") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add("-d");
        start.ArgumentList.Add($"pty,raw,echo=0,link={a}");
        start.ArgumentList.Add($"pty,raw,echo=0,link={b}");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("socat did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            NUnit.Framework.Assert.Fail("socat is not installed: eng/test.sh installs it (apt-get install socat)");
            throw;
        }

        // socat logs "starting data transfer loop" once both ptys and links exist.
        while (await process.StandardError.ReadLineAsync().Within() is { } line)
        {
            if (line.Contains("starting data transfer loop", StringComparison.Ordinal))
            {
                _ = process.StandardError.ReadToEndAsync(); // keep draining
                return new SocatPair(process, a, b);
            }
        }

        throw new InvalidOperationException("socat exited before making the pty pair");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().Within();
        }

        _process.Dispose();
    }
}
