using Mcp.Frames.Tool.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary>Usage errors exit 2 and name the flag; a refused address exits 3 and names the address.</summary>
public sealed class UsageAndLinkErrorTests
{
    [Test]
    public async Task An_unknown_flag_exits_2_and_names_it()
    {
        ToolResult result = await McpTool.RunAsync("read", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "--bogus");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.Contain("--bogus").And.Contain("mcp read --help"));
        Assert.That(result.Out, Is.Empty);
    }

    [Test]
    public async Task A_usage_error_in_a_nested_command_points_to_that_commands_help()
    {
        ToolResult result = await McpTool.RunAsync("config", "get", "--tcp", "127.0.0.1:1");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.Contain("--slot").And.Contain("Run 'mcp config get --help' for usage."));
    }

    [Test]
    public async Task An_unknown_command_exits_2()
    {
        ToolResult result = await McpTool.RunAsync("frobnicate");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.Contain("frobnicate"));
    }

    [TestCase(new[] { "read", "--slot", "1", "--register", "0" }, "--tcp HOST:PORT or --serial PATH")]
    [TestCase(new[] { "read", "--tcp", "localhost", "--slot", "1", "--register", "0" }, "--tcp: 'localhost' is not HOST:PORT")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:70000", "--slot", "1", "--register", "0" }, "the port '70000' is not a number from 1 to 65535")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--serial", "/dev/null", "--slot", "1", "--register", "0" }, "--tcp and --serial cannot be used together")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--slot", "256", "--register", "0" }, "--slot: 256 is out of range (0 to 255)")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--slot", "x1", "--register", "0" }, "--slot: 'x1' is not a number")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--register", "0" }, "--slot")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "--baud", "9600" }, "--baud needs --serial")]
    [TestCase(new[] { "read", "--serial", "/dev/null", "--slot", "1", "--register", "0", "--parity", "sometimes" }, "--parity: 'sometimes' is not one of none, odd, even, mark, space")]
    [TestCase(new[] { "read", "--serial", "/dev/null", "--slot", "1", "--register", "0", "--serial-backend", "turbo" }, "--serial-backend: 'turbo' is not one of auto, native-tty, system-io-ports")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "--serial-backend", "native-tty" }, "--serial-backend needs --serial")]
    [TestCase(new[] { "read", "--serial", "/dev/null", "--baud", "250000", "--slot", "1", "--register", "0", "--serial-backend", "native-tty" }, "--serial-backend: SerialTransportOptions.Backend NativeTty cannot run at BaudRate 250000")]
    [TestCase(new[] { "read", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "--ca", "ca.pem" }, "--ca needs --tls")]
    [TestCase(new[] { "write", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "1", "abc" }, "VALUE 2: 'abc' is not a number")]
    [TestCase(new[] { "config", "set", "--tcp", "127.0.0.1:1", "--slot", "1", "0:5" }, "'0:5': expected REG=VALUE")]
    [TestCase(new[] { "config", "set", "--tcp", "127.0.0.1:1", "--slot", "1", "0=1", "0x0=2" }, "'0x0=2': register 0 is given twice (also '0=1')")]
    [TestCase(new[] { "subscribe", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "--events", "2", "--for", "1" }, "--events and --for cannot be used together")]
    [TestCase(new[] { "subscribe", "--tcp", "127.0.0.1:1", "--slot", "1", "--register", "0", "--period", "5" }, "--period: 5 is out of range (10 to 65535)")]
    [TestCase(new[] { "sniff", "--tcp", "127.0.0.1:1", "--subscribe", "4" }, "--subscribe: '4' is not SLOT:REG[:COUNT]")]
    [TestCase(new[] { "send", "--tcp", "127.0.0.1:1", "--cmd", "0x90" }, "--cmd 0x90 is a response command")]
    public async Task A_usage_error_exits_2_and_names_what_was_wrong(string[] args, string message)
    {
        ToolResult result = await McpTool.RunAsync(args);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.StartWith("mcp: ").And.Contain(message));
    }

    [Test]
    public async Task A_refused_address_exits_3_and_names_the_address()
    {
        int port = Sims.RefusedPort();
        ToolResult result = await McpTool.RunAsync("hello", "--tcp", $"127.0.0.1:{port}", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.LinkFailure), result.ToString());
        Assert.That(result.Err, Does.Contain($"127.0.0.1:{port}").And.Contain("refused"));
        var error = result.JsonOfType("error").Single();
        Assert.That(((string?)error["error"], (int)error["exitCode"]!), Is.EqualTo(("link", 3)));
    }

    [Test]
    public async Task A_missing_serial_port_exits_3_and_names_it()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mcp-no-such-tty-{Guid.NewGuid():N}");
        ToolResult result = await McpTool.RunAsync("hello", "--serial", path);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.LinkFailure), result.ToString());
        Assert.That(result.Err, Does.Contain(path));
    }

    [Test]
    public async Task Help_exits_0()
    {
        ToolResult result = await McpTool.RunAsync("--help");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Out, Does.Contain("Exit codes: 0 success; 1 the device answered with an error status; 2 usage error; 3 timeout or link failure."));
        foreach (string command in new[] { "hello", "describe", "ping", "read", "write", "subscribe", "config", "reset", "send", "monitor", "sniff", "decode", "encode", "sim" })
        {
            Assert.That(result.Out, Does.Match($@"\n  {command}\b"), command);
        }
    }
}
