using System.Diagnostics;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>A socat pseudo-terminal pair (raw, no echo) behind two links in a temporary directory.</summary>
public sealed class PtyPair : IDisposable
{
    private readonly Process _socat;

    public PtyPair()
    {
        Directory = Path.Combine(Path.GetTempPath(), "mcp-bench-pty-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        var start = new ProcessStartInfo("socat") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add($"pty,raw,echo=0,link={A}");
        start.ArgumentList.Add($"pty,raw,echo=0,link={B}");
        _socat = Process.Start(start) ?? throw new InvalidOperationException("socat did not start (is it installed?)");

        // Waiting for an external process: a bounded poll for its links.
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(A) && File.Exists(B)))
        {
            if (_socat.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException("socat did not create its pseudo-terminal links");
            }

            Thread.Sleep(10);
        }
    }

    public string Directory { get; }

    public string A => Path.Combine(Directory, "a");

    public string B => Path.Combine(Directory, "b");

    public void Dispose()
    {
        if (!_socat.HasExited)
        {
            _socat.Kill();
        }

        _socat.WaitForExit(10_000);
        _socat.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
