using System.Text.Json.Nodes;
using Mcp.Frames.FirmwareSim.Device;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tool.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary>Every device command against an in-process firmware-sim, over TCP and over a pseudo-terminal; text and --json.</summary>
[TestFixture(LinkKind.Tcp)]
[TestFixture(LinkKind.Pty)]
public sealed class DeviceCommandTests(LinkKind kind)
{
    private string _directory = null!;
    private SimHost _host = null!;

    [SetUp]
    public async Task SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("mcp-tool-tests-").FullName;
        _host = await Sims.StartAsync(kind, _directory);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _host.DisposeAsync().AsTask().Within();
        Directory.Delete(_directory, recursive: true);
    }

    [Test]
    public async Task Hello_prints_the_device_and_its_modules()
    {
        ToolResult text = await RunAsync("hello");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Out, Does.Contain("device      sim-tool").And.Contain("firmware    2.3.4").And.Contain("maxPayload  256"));
        Assert.That(text.Out, Does.Contain($"bootId      0x{_host.Device.BootId:X8}"));
        Assert.That(text.Lines, Has.Some.Match(@"│ 1\s+│ 0x0001\s+│ 1\s+│ relays\s+│"));
        Assert.That(text.Lines, Has.Some.Match(@"│ 3\s+│ 0x0010\s+│ 1\s+│ custom\s+│"));

        ToolResult json = await RunAsync("hello", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        JsonObject device = json.Json.Single();
        Assert.That((string?)device["type"], Is.EqualTo("device"));
        Assert.That((string?)device["deviceId"], Is.EqualTo("sim-tool"));
        Assert.That((uint)device["bootId"]!, Is.EqualTo(_host.Device.BootId));
        Assert.That(device["modules"]!.AsArray().Select(m => (string?)m!["name"]), Is.EqualTo(new[] { "relays", "custom" }));
    }

    [Test]
    public async Task Describe_lists_registers_of_one_module_or_all()
    {
        ToolResult text = await RunAsync("describe", "--slot", "3");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines, Has.Some.Match(@"│ 3\s+│ custom\s+│ 0\s+│ setpoint\s+│ r-c\s+│"));
        Assert.That(text.Lines, Has.Some.Match(@"│ 3\s+│ custom\s+│ 3\s+│ command\s+│ -w-\s+│"));

        ToolResult json = await RunAsync("describe", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.That(json.Json.Select(m => (int)m["slot"]!), Is.EqualTo(new[] { 1, 3 }));
        JsonArray registers = json.Json[1]["registers"]!.AsArray();
        Assert.That(registers.Select(r => $"{r!["register"]} {r["name"]} {r["access"]}"), Is.EqualTo(new[] { "0 setpoint r-c", "1 level r--", "2 output rw-", "3 command -w-", "4 limit r-c" }));
    }

    [Test]
    public async Task Ping_sends_distinct_bytes_and_prints_rtts()
    {
        ToolResult text = await RunAsync("ping", "--count", "3", "--interval", "0");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines.Count(l => l.StartsWith("ping ", StringComparison.Ordinal) && l.Contains("8 bytes echoed in", StringComparison.Ordinal)), Is.EqualTo(3));
        Assert.That(text.Lines[^1], Does.Match(@"^--- 3 sent, 3 echoed, 0 failed; rtt min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms$"));

        // The device logs a request once it has answered it: the tool can have its last echo (and exit) a moment before.
        int pings = 0;
        await _host.Requests.WaitForAsync(r => r.Command == McpCommand.Ping && ++pings == 3).Within(); // each record is matched once
        IEnumerable<string> bodies = _host.Requests.Snapshot().Where(r => r.Command == McpCommand.Ping).Select(r => Convert.ToHexString(r.Body.Span));
        Assert.That(bodies.Distinct().Count(), Is.EqualTo(3), "each PING carries distinct bytes");

        ToolResult json = await RunAsync("ping", "--count", "2", "--interval", "0", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.That(json.JsonOfType("ping").Select(p => ((int)p["n"]!, (bool)p["ok"]!)), Is.EqualTo(new[] { (1, true), (2, true) }));
        JsonObject summary = json.JsonOfType("summary").Single();
        Assert.That(((int)summary["sent"]!, (int)summary["echoed"]!, (int)summary["failed"]!), Is.EqualTo((2, 2, 0)));
        Assert.That((double)summary["minMs"]!, Is.LessThanOrEqualTo((double)summary["maxMs"]!));
    }

    [Test]
    public async Task Read_prints_values()
    {
        _host.Device.SetRegister(3, 2, -17);
        ToolResult text = await RunAsync("read", "--slot", "3", "--register", "1", "--count", "2");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines, Is.EqualTo(new[] { "slot 3 register 1 = 42", "slot 3 register 2 = -17" }));

        ToolResult json = await RunAsync("read", "--slot", "0x03", "--register", "0", "--count", "2", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.That(json.Json.Single().ToJsonString(), Is.EqualTo("""{"type":"read","slot":3,"register":0,"values":[100,42]}"""));
    }

    [Test]
    public async Task Write_changes_registers()
    {
        ToolResult text = await RunAsync("write", "--slot", "1", "--register", "1", "1", "0", "1");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines.Single(), Is.EqualTo("wrote 3 values to slot 1 from register 1: 1 0 1"));
        Assert.That(_host.Device.ReadRegisters(1, 0, 4), Is.EqualTo(new[] { 0, 1, 0, 1 }));

        ToolResult json = await RunAsync("write", "--slot", "3", "--register", "2", "-5", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.That(json.Json.Single().ToJsonString(), Is.EqualTo("""{"type":"write","slot":3,"register":2,"values":[-5]}"""));
        Assert.That(_host.Device.ReadRegister(3, 2), Is.EqualTo(-5));
    }

    [Test]
    public async Task Write_to_a_read_only_register_exits_1_with_the_status()
    {
        ToolResult result = await RunAsync("write", "--slot", "3", "--register", "1", "5");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        Assert.That(result.Err, Does.Contain("READ_ONLY"));
    }

    [Test]
    public async Task Subscribe_prints_events_until_the_count()
    {
        ToolResult text = await RunAsync("subscribe", "--slot", "3", "--register", "1", "--period", "10", "--events", "3");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines[0], Does.StartWith("subscribed: subId ").And.EndWith("slot 3 registers 1-1, periodic, every 10 ms"));
        Assert.That(text.Lines.Where(l => l.StartsWith("event ", StringComparison.Ordinal)), Has.Exactly(3).Match(@"^event \d+ at uptime \d+ ms: 42$"));
        Assert.That(text.Lines[^1], Does.Match(@"^--- 3 events received, 0 lost"));

        ToolResult json = await RunAsync("subscribe", "--slot", "3", "--register", "0", "--count", "2", "--period", "10", "--events", "2", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.That(json.Json[0]["type"]!.GetValue<string>(), Is.EqualTo("subscribed"));
        JsonObject[] events = json.JsonOfType("event");
        Assert.That(events.Select(e => (int)e["eventSeq"]!), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(events.Select(e => e["values"]!.ToJsonString()), Is.All.EqualTo("[100,42]"));
        Assert.That((int)json.JsonOfType("summary").Single()["received"]!, Is.EqualTo(2));
        await _host.Requests.WaitForAsync(r => r.Command == McpCommand.Unsubscribe).Within();
    }

    [Test]
    public async Task Subscribe_for_a_duration_ends_normally()
    {
        ToolResult result = await RunAsync("subscribe", "--slot", "3", "--register", "1", "--period", "10", "--on-change", "--for", "0.2", "--json");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That((string?)result.Json[0]["mode"], Is.EqualTo("on-change"));
        Assert.That(result.JsonOfType("event"), Is.Empty, "the value never changes");
        Assert.That(result.JsonOfType("summary"), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Config_get_and_set()
    {
        ToolResult get = await RunAsync("config", "get", "--slot", "3");
        Assert.That(get.ExitCode, Is.Zero, get.ToString());
        Assert.That(get.Lines[0], Is.EqualTo("slot 3 configuration version 0"));
        Assert.That(get.Lines, Has.Some.Match(@"│ 4\s+│ 7\s+│"));

        // Without --expect-version the current version is read first.
        ToolResult set = await RunAsync("config", "set", "--slot", "3", "0=250", "4=0x10");
        Assert.That(set.ExitCode, Is.Zero, set.ToString());
        Assert.That(set.Lines.Single(), Is.EqualTo("slot 3 configuration version 0 -> 1: 0=250 4=16"));
        await _host.Requests.WaitForAsync(r => r.Command == McpCommand.ConfigSet).Within(); // logged once answered (see Ping_sends_distinct_bytes_and_prints_rtts)
        Assert.That(_host.Requests.Snapshot().Select(r => r.CommandName).TakeLast(2), Is.EqualTo(new[] { "CONFIG_GET", "CONFIG_SET" }));

        ToolResult json = await RunAsync("config", "get", "--slot", "3", "--json");
        Assert.That(json.Json.Single().ToJsonString(), Is.EqualTo("""{"type":"config","slot":3,"version":1,"entries":[{"register":0,"value":250},{"register":4,"value":16}]}"""));

        ToolResult next = await RunAsync("config", "set", "--slot", "3", "0=1", "--expect-version", "1", "--json");
        Assert.That(next.Json.Single().ToJsonString(), Is.EqualTo("""{"type":"config-set","slot":3,"previousVersion":1,"version":2,"entries":[{"register":0,"value":1}]}"""));
    }

    [Test]
    public async Task Config_set_with_a_stale_version_exits_1_with_VERSION_CONFLICT()
    {
        ToolResult result = await RunAsync("config", "set", "--slot", "3", "0=1", "--expect-version", "5", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        Assert.That(result.Err, Does.StartWith("mcp: ").And.Contain("VERSION_CONFLICT"));
        JsonObject error = result.JsonOfType("error").Single();
        Assert.That(((string?)error["status"], (int)error["exitCode"]!), Is.EqualTo(("VERSION_CONFLICT", 1)));
        Assert.That(_host.Device.GetConfig(3).Version, Is.Zero);
    }

    [Test]
    public async Task Reset_reboots_the_device()
    {
        uint bootId = _host.Device.BootId;
        int boots = _host.Device.BootCount;
        ToolResult text = await RunAsync("reset");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines.Single(), Does.StartWith("RESET (mode 0) acknowledged by "));

        // The device answers RESET first and reboots after (PROTOCOL.md §2.3): the tool may exit before the reboot.
        await WaitForBootCountAsync(boots + 1);
        Assert.That(_host.Device.BootId, Is.Not.EqualTo(bootId));

        ToolResult json = await RunAsync("reset", "--json");
        Assert.That(json.Json.Single().ToJsonString(), Is.EqualTo("""{"type":"reset","mode":0,"acknowledged":true}"""));
        await WaitForBootCountAsync(boots + 2);
        Assert.That(_host.Device.BootCount, Is.EqualTo(boots + 2), "one reboot per RESET");
    }

    private async Task WaitForBootCountAsync(int expected)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (_host.Device.BootCount < expected)
        {
            try
            {
                await Task.Delay(5, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the device did not reboot within 10 s of acknowledging RESET (boot count {_host.Device.BootCount}, expected {expected})");
            }
        }
    }

    [Test]
    public async Task Send_prints_the_raw_answer()
    {
        ToolResult text = await RunAsync("send", "--cmd", "0x10", "--payload", "03 01 00 01");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines, Is.EqualTo(new[]
        {
            "answer  0x90 READ-RESP, status OK (0x00), body 4 bytes: 2A 00 00 00",
            "MCP/1   status OK, values [42]",
        }));

        ToolResult json = await RunAsync("send", "--cmd", "0x30", "--payload", "03", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        JsonObject answer = json.Json.Single();
        Assert.That(((int)answer["cmd"]!, (string?)answer["cmdName"], (string?)answer["status"]), Is.EqualTo((0xB0, "CONFIG_GET-RESP", "OK")));
        Assert.That(answer["mcp1"]!["version"]!.GetValue<uint>(), Is.Zero);
    }

    [Test]
    public async Task Send_of_an_unknown_command_exits_1_with_the_status_name()
    {
        ToolResult result = await RunAsync("send", "--cmd", "0x3E");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        Assert.That(result.Lines[0], Does.StartWith("answer  0xBE 0x3E-RESP, status UNKNOWN_COMMAND (0x01)"));
        Assert.That(result.Err, Does.Contain("UNKNOWN_COMMAND"));
    }

    [Test]
    public async Task Monitor_prints_snapshots_when_redirected()
    {
        _host.Device.SetRegister(3, 2, 9);
        ToolResult text = await RunAsync("monitor", "--refresh", "10", "--snapshots", "2");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(text.Lines, Has.Some.Contain("sim-tool: snapshot 1 at +").And.Some.Contain("sim-tool: snapshot 2 at +"));
        Assert.That(text.Lines, Has.Some.Match(@"│\s+│\s+│ 1\s+│ level\s+│ 42\s+│"));
        Assert.That(text.Lines, Has.None.Contain("command"), "a write-only register cannot be read");

        // --for also bounds the first snapshot's READs: a second leaves a loaded machine room for them.
        ToolResult json = await RunAsync("monitor", "--refresh", "20", "--for", "1", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        JsonObject[] snapshots = json.JsonOfType("snapshot");
        Assert.That(snapshots, Is.Not.Empty);
        JsonArray custom = snapshots[0]["modules"]![1]!["registers"]!.AsArray();
        Assert.That(custom.Select(r => $"{r!["name"]}={r["value"]}"), Is.EqualTo(new[] { "setpoint=100", "level=42", "output=9", "limit=7" }));
    }

    [Test]
    public async Task Sniff_prints_every_frame_received_and_the_counters()
    {
        ToolResult text = await RunAsync("sniff", "--hello", "--ping", "2", "--interval", "0", "--frames", "3");
        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        string[] received = [.. text.Lines.Where(l => l.StartsWith("rx ", StringComparison.Ordinal))];
        Assert.That(received, Has.Length.EqualTo(3));
        Assert.That(received[0], Does.Contain("0x81 HELLO-RESP").And.Contain("seq 0, status OK").And.Contain("deviceId sim-tool"));
        Assert.That(received.Skip(1), Has.All.Contain("0x82 PING-RESP").And.All.Contain("status OK, data "));
        Assert.That(text.Lines, Has.Exactly(3).StartWith("tx "));
        Assert.That(text.Lines[^1], Does.StartWith("--- receiver counters: delivered 3 frames (").And.EndWith("skipped 0 bytes, oversize 0, bad checksum 0, truncated 0, stalled 0"));

        ToolResult json = await RunAsync("sniff", "--subscribe", "3:1", "--period", "10", "--frames", "3", "--json");
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        JsonObject[] rx = [.. json.JsonOfType("frame").Where(f => (string?)f["dir"] == "rx")];
        Assert.That(rx.Select(f => (string?)f["cmdName"]), Is.EqualTo(new[] { "SUBSCRIBE-RESP", "EVENT", "EVENT" }));
        Assert.That(rx[1]["mcp1"]!["values"]!.ToJsonString(), Is.EqualTo("[42]"));
        JsonObject counters = json.JsonOfType("counters").Single();
        Assert.That(((long)counters["delivered"]!, (long)counters["badChecksum"]!), Is.EqualTo((3L, 0L)));
    }

    [Test]
    public async Task An_absent_module_exits_1_and_names_the_status()
    {
        ToolResult result = await RunAsync("read", "--slot", "9", "--register", "0");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        Assert.That(result.Err, Does.StartWith("mcp: ").And.Contain("NO_SUCH_MODULE"));
        Assert.That(result.Out, Is.Empty);
    }

    [Test]
    public async Task A_silent_device_exits_3_after_the_timeout()
    {
        _host.Faults.SilenceFor(TimeSpan.FromMinutes(5));
        ToolResult result = await RunAsync("read", "--slot", "3", "--register", "1", "--timeout", "200", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.LinkFailure), result.ToString());
        Assert.That(result.Err, Does.Contain("READ").And.Contain("no answer within 200 ms"));
        Assert.That((string?)result.JsonOfType("error").Single()["error"], Is.EqualTo("timeout"));
    }

    private Task<ToolResult> RunAsync(params string[] args) => McpTool.RunAsync([.. args, .. Sims.LinkArgs(_host, kind)]);
}
