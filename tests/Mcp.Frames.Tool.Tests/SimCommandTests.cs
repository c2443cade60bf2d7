using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Tool.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary><c>mcp sim</c>: firmware-sim's command line, in-process; the tool talks to it over TCP and over its pty.</summary>
public sealed class SimCommandTests
{
    [Test]
    public async Task Sim_serves_tcp_until_stopped()
    {
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource<SimHost>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ToolResult> sim = McpTool.RunAsync(["sim", "--tcp", "127.0.0.1:0", "--log-level", "none"], stop.Token, started.SetResult);
        SimHost host = await started.Task.Within();

        ToolResult hello = await McpTool.RunAsync("hello", "--tcp", $"127.0.0.1:{host.TcpEndPoint!.Port}", "--json");
        Assert.That(hello.ExitCode, Is.Zero, hello.ToString());
        Assert.That((string?)hello.Json.Single()["deviceId"], Is.EqualTo("sim-builtin"));

        await stop.CancelAsync();
        ToolResult result = await sim;
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Lines.Single(), Is.EqualTo($"listening tcp 127.0.0.1:{host.TcpEndPoint.Port}"));
    }

    [Test]
    public async Task Sim_serves_a_pty_that_the_tool_opens_as_a_serial_port()
    {
        string directory = Directory.CreateTempSubdirectory("mcp-tool-sim-").FullName;
        try
        {
            string link = Path.Combine(directory, "tty");
            using var stop = new CancellationTokenSource();
            var started = new TaskCompletionSource<SimHost>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<ToolResult> sim = McpTool.RunAsync(["sim", "--pty", "--link", link, "--log-level", "none"], stop.Token, started.SetResult);
            SimHost host = await started.Task.Within();
            host.Device.SetRegister(7, 2, 1234);

            ToolResult read = await McpTool.RunAsync("read", "--serial", link, "--baud", "9600", "--slot", "7", "--register", "2");
            Assert.That(read.ExitCode, Is.Zero, read.ToString());
            Assert.That(read.Lines.Single(), Is.EqualTo("slot 7 register 2 = 1234"));
            foreach (string backend in new[] { "native-tty", "system-io-ports" })
            {
                read = await McpTool.RunAsync("read", "--serial", link, "--serial-backend", backend, "--slot", "7", "--register", "2");
                Assert.That(read.ExitCode, Is.Zero, $"{backend}: {read}");
                Assert.That(read.Lines.Single(), Is.EqualTo("slot 7 register 2 = 1234"), backend);
            }

            await stop.CancelAsync();
            ToolResult result = await sim;
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            Assert.That(result.Lines.Single(), Does.StartWith("listening pty /dev/pts/").And.EndWith($"link {link}"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task Sim_flag_errors_exit_2()
    {
        ToolResult result = await McpTool.RunAsync("sim", "--bogus");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.Contain("--bogus"));
    }

    [Test]
    public async Task Sim_that_cannot_bind_exits_3()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        ToolResult result = await McpTool.RunAsync("sim", "--tcp", $"127.0.0.1:{port}", "--log-level", "none");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.LinkFailure), result.ToString());
        Assert.That(result.Err, Does.Contain($"{port}"));
    }
}
