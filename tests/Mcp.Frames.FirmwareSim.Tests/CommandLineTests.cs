using Mcp.Frames.FirmwareSim.CommandLine;
using Mcp.Frames.FirmwareSim.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>
/// The command line in process (the same code the executable runs; HostProcessTests checks the real exit codes and
/// signals): every bad flag and bad device file is refused with exit code 2 and a message that names it.
/// </summary>
public sealed class CommandLineTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase("--bogus", "--bogus")]
    [TestCase("--tcp nowhere", "--tcp")]
    [TestCase("--tcp 127.0.0.1:99999", "--tcp")]
    [TestCase("--tcp 300.1.1.1:5020", "--tcp")]
    [TestCase("--tcp", "--tcp")]
    [TestCase("--corrupt 2", "--corrupt")]
    [TestCase("--drop-frame-in x", "--drop-frame-in")]
    [TestCase("--duplicate-out -0.1", "--duplicate-out")]
    [TestCase("--delay -5", "--delay")]
    [TestCase("--chunk 70000", "--chunk")]
    [TestCase("--seed minus", "--seed")]
    [TestCase("--serial /dev/null --baud fast", "--baud")]
    [TestCase("--serial /dev/null --baud 0", "--baud")]
    [TestCase("--link /tmp/x", "--link")]
    [TestCase("--baud 9600", "--baud")]
    [TestCase("--silent-after 100", "--silent-for")]
    [TestCase("--silent-for 500 --silent-every 100", "--silent-every")]
    [TestCase("--log-level loud", "--log-level")]
    public async Task A_bad_flag_is_refused_with_exit_code_2_naming_the_flag(string args, string flag)
    {
        (int exit, string _, string stderr) = await RunAsync(args.Split(' '));

        Assert.That(exit, Is.EqualTo(SimCommandLine.ExitUsage), stderr);
        Assert.That(stderr, Does.Contain(flag));
    }

    [TestCase("{ \"deviceId\": \"x\", ", "not valid JSON")]
    [TestCase("{ \"deviceId\": \"x\", \"firmware\": \"1.0.0\", \"modules\": [] }", "$.modules")]
    [TestCase("{ \"deviceId\": \"x\", \"firmware\": \"1.0.0\", \"modules\": [ { \"slot\": 1, \"type\": \"relay\", \"name\": \"r\", \"outputs\": 99 } ] }", "$.modules[0].outputs")]
    [TestCase("{ \"deviceId\": \"x\", \"firmware\": \"1.0.0\", \"modules\": [ { \"slot\": 1, \"type\": \"gpio\", \"name\": \"g\", \"driver\": \"simulated\", \"pins\": [ { \"pin\": 4, \"mode\": \"input\", \"initial\": 1 } ] } ] }", "$.modules[0].pins[0].initial")]
    public async Task A_bad_device_file_is_refused_with_exit_code_2_and_the_reason(string json, string expected)
    {
        string file = _dir.File("device.json");
        await File.WriteAllTextAsync(file, json);

        (int exit, string _, string stderr) = await RunAsync("--device", file, "--tcp", "127.0.0.1:0");

        Assert.That(exit, Is.EqualTo(SimCommandLine.ExitUsage));
        Assert.That(stderr, Does.Contain(file).And.Contain(expected));
    }

    [Test]
    public async Task A_missing_device_file_is_refused_with_exit_code_2()
    {
        (int exit, string _, string stderr) = await RunAsync("--device", _dir.File("absent.json"));

        Assert.That(exit, Is.EqualTo(SimCommandLine.ExitUsage));
        Assert.That(stderr, Does.Contain("absent.json").And.Contain("cannot be read"));
    }

    [Test]
    public async Task An_endpoint_that_cannot_be_opened_exits_1()
    {
        (int exit, string _, string stderr) = await RunAsync("--serial", _dir.File("no-such-port"), "--log-level", "none");

        Assert.That(exit, Is.EqualTo(SimCommandLine.ExitFailure));
        Assert.That(stderr, Does.Contain("cannot start").And.Contain("no-such-port"));
    }

    [Test]
    public async Task Help_lists_the_options_and_exits_0()
    {
        (int exit, string stdout, string _) = await RunAsync("--help");

        Assert.That(exit, Is.Zero);
        Assert.That(stdout, Does.Contain("--device").And.Contain("--tcp").And.Contain("--serial").And.Contain("--pty").And.Contain("--link")
            .And.Contain("--state").And.Contain("--seed").And.Contain("--drop-frame").And.Contain("--busy"));
    }

    [Test]
    public async Task Print_device_prints_the_built_in_definition()
    {
        (int exit, string stdout, string _) = await RunAsync("--print-device");

        Assert.That(exit, Is.Zero);
        Assert.That(Definition.DeviceDefinition.Parse(stdout).DeviceId, Is.EqualTo("sim-builtin"));
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var stop = new CancellationTokenSource();
        int exit = await SimCommandLine.RunAsync(args, stdout, stderr, stop.Token, _ => stop.Cancel()).Within();
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
