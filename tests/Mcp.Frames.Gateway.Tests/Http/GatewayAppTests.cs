using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Mcp.Frames.Devices;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Gateway.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Gateway.Tests.Http;

/// <summary>The gateway's web application, started in-process: the demo, and the HTTP endpoints against the registry.</summary>
public sealed class GatewayAppTests : GatewayTestBase
{
    private static string Text(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using HttpResponseMessage response = await http.GetAsync(new Uri(path, UriKind.Relative)).Within();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), path);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetTextAsync(HttpClient http, string path)
    {
        using HttpResponseMessage response = await http.GetAsync(new Uri(path, UriKind.Relative)).Within();
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task The_demo_with_no_links_shows_the_embedded_device_discovered_with_values_and_configuration_in_sync_within_10_seconds()
    {
        var clock = Stopwatch.StartNew();
        RunningGateway gateway = Track(await RunningGateway.StartAsync(Logs));
        Assert.That(gateway.State.EmbeddedDevice, Does.StartWith("tcp 127.0.0.1:"));
        DeviceEntry device = gateway.Registry.Devices.Single();

        await Await.UntilAsync(gateway.Registry, () => device.DeviceId == "sim-builtin" && device.Health == DeviceHealth.Healthy && device.ConfigSync.State == ConfigSyncState.InSync, "discovered, healthy and in sync");
        await Await.ValueAsync(device, v => v is { Slot: 4, Register: 0 }, "of the boiler temperature");
        await Await.ValueAsync(device, v => v is { Slot: 7, Register: 1 }, "of the ticking register");
        JsonElement view = await GetJsonAsync(gateway.Http, "/devices/sim-builtin");
        TimeSpan elapsed = clock.Elapsed;

        Assert.Multiple(() =>
        {
            Assert.That(Text(view, "link"), Is.EqualTo("embedded"), "the link's configured name");
            Assert.That(Text(view, "health"), Is.EqualTo("healthy"));
            Assert.That(Text(view.GetProperty("config"), "state"), Is.EqualTo("in-sync"));
            Assert.That(view.GetProperty("config").GetProperty("versions").GetProperty("7").GetUInt32(), Is.EqualTo(1), "desired.demo.json was applied to slot 7");
            Assert.That(view.GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("slot").GetInt32(), v.GetProperty("register").GetInt32())), Does.Contain((4, 0)).And.Contain((7, 1)));
            Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        });
    }

    [TestCase(LinkKind.Tcp)]
    [TestCase(LinkKind.Pty)]
    public async Task The_http_endpoints_return_what_the_registry_holds(LinkKind kind)
    {
        SimHost sim = Track(await DeviceRig.StartSimAsync(kind, Logs));
        string directory = Directory.CreateTempSubdirectory("mcp-gw-http-").FullName;
        Defer(() => { Directory.Delete(directory, recursive: true); return ValueTask.CompletedTask; });
        string desired = Path.Combine(directory, "desired.json");
        await File.WriteAllTextAsync(desired, DeviceRig.DesiredJson);
        string[] link = kind == LinkKind.Tcp
            ? ["--Gateway:Links:0:Tcp:Host=127.0.0.1", $"--Gateway:Links:0:Tcp:Port={sim.TcpEndPoint!.Port}"]
            : [$"--Gateway:Links:0:Serial:Port={DeviceRig.PtyPath(sim)}"];
        RunningGateway gateway = Track(await RunningGateway.StartAsync(
            Logs,
            [
                .. link,
                "--Gateway:Links:0:Name=bench-device",
                $"--Gateway:DesiredConfiguration={desired}",
                "--Gateway:Watches:0:Slot=1", "--Gateway:Watches:0:Register=0", "--Gateway:Watches:0:Count=2", "--Gateway:Watches:0:PeriodMs=20", "--Gateway:Watches:0:OnChange=true",
                "--Gateway:Watches:1:Slot=3", "--Gateway:Watches:1:Register=0", "--Gateway:Watches:1:PeriodMs=20", "--Gateway:Watches:1:OnChange=true",
                "--Gateway:Watches:2:Slot=9", "--Gateway:Watches:2:Register=0", // no module in slot 9: refused
                "--Gateway:HeartbeatIntervalMs=200", "--Gateway:HeartbeatMissedLimit=5", "--Gateway:DegradedAfterSilenceMs=400",
                "--Gateway:HealthIntervalMs=50", "--Gateway:RequestTimeoutMs=1000", "--Gateway:MaxBackoffMs=200",
            ]));
        DeviceRegistry registry = gateway.Registry;
        DeviceEntry device = registry.Devices.Single();
        await Await.UntilAsync(registry, () => device.Health == DeviceHealth.Healthy && device.ConfigSync.State == ConfigSyncState.InSync, "healthy and in sync");
        await Await.ValueAsync(device, v => v is { Slot: 3, Register: 0, Value: 150 }, "of the set point at the desired 150");
        sim.Device.SetRegister(1, 1, 1); // an on-change watch publishes on a change
        await Await.ValueAsync(device, v => v is { Slot: 1, Register: 1, Value: 1 }, "of relay 1, switched on");
        await Await.UntilAsync(registry, () => device.Watches.Select(w => w.State).SequenceEqual([WatchState.Subscribed, WatchState.Subscribed, WatchState.Refused]), "two watches subscribed, the third refused");

        // GET /devices: the list, without values.
        DeviceStatistics before = device.Statistics;
        IReadOnlyList<WatchStatus> watchesBefore = device.Watches;
        JsonElement list = await GetJsonAsync(gateway.Http, "/devices");
        DeviceStatistics after = device.Statistics;
        IReadOnlyList<WatchStatus> watchesAfter = device.Watches;
        JsonElement listed = list.EnumerateArray().Single();
        ConfigSyncStatus sync = device.ConfigSync;
        Assert.Multiple(() =>
        {
            Assert.That(Text(listed, "deviceId"), Is.EqualTo(device.DeviceId));
            Assert.That(Text(listed, "link"), Is.EqualTo(device.LinkName).And.EqualTo("bench-device"));
            Assert.That(Text(listed, "health"), Is.EqualTo("healthy"));
            Assert.That(Text(listed, "healthReason"), Is.EqualTo(device.HealthReason));
            Assert.That(Text(listed, "firmware"), Is.EqualTo(device.Identity!.Firmware.ToString()));
            Assert.That(listed.GetProperty("bootId").GetUInt32(), Is.EqualTo(device.Identity.BootId).And.EqualTo(sim.Device.BootId));
            Assert.That(listed.GetProperty("reboots").GetInt32(), Is.EqualTo(device.Reboots));
            Assert.That(
                listed.GetProperty("modules").EnumerateArray().Select(m => (m.GetProperty("slot").GetByte(), m.GetProperty("type").GetUInt16(), Text(m, "name"), m.GetProperty("version").GetByte())),
                Is.EqualTo(device.Identity.Modules.Select(m => (m.Slot, m.Type, m.Name, m.Version))));
            JsonElement config = listed.GetProperty("config");
            Assert.That(Text(config, "state"), Is.EqualTo("in-sync"));
            Assert.That(config.GetProperty("version").GetUInt32(), Is.EqualTo(sync.Version));
            Assert.That(config.GetProperty("versions").EnumerateObject().ToDictionary(p => byte.Parse(p.Name, CultureInfo.InvariantCulture), p => p.Value.GetUInt32()), Is.EquivalentTo(sync.Versions));
            Assert.That(config.GetProperty("conflicts").GetInt32(), Is.EqualTo(sync.Conflicts));
            Assert.That(config.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null));
            JsonElement stats = listed.GetProperty("statistics");
            Assert.That(stats.GetProperty("connects").GetInt32(), Is.EqualTo(device.Statistics.Connects).And.EqualTo(1));
            Assert.That(stats.GetProperty("framesReceived").GetInt64(), Is.InRange(before.FramesReceived, after.FramesReceived));
            Assert.That(stats.GetProperty("framesSent").GetInt64(), Is.InRange(before.FramesSent, after.FramesSent));
            Assert.That(stats.GetProperty("checksumErrors").GetInt64(), Is.Zero);
            Assert.That(listed.GetProperty("values").ValueKind, Is.EqualTo(JsonValueKind.Null), "the list leaves the values out");
            Assert.That(
                listed.GetProperty("watches").EnumerateArray().Select(w => (w.GetProperty("slot").GetByte(), w.GetProperty("register").GetUInt16(), w.GetProperty("count").GetByte(), w.GetProperty("periodMs").GetUInt16(), w.GetProperty("onChange").GetBoolean(), Text(w, "state"))),
                Is.EqualTo(new[] { ((byte)1, (ushort)0, (byte)2, (ushort)20, true, "subscribed"), ((byte)3, (ushort)0, (byte)1, (ushort)20, true, "subscribed"), ((byte)9, (ushort)0, (byte)1, (ushort)1000, false, "refused") }));
            JsonElement refused = listed.GetProperty("watches")[2];
            Assert.That(Text(refused, "refusal"), Does.StartWith("NO_SUCH_MODULE (0x03)"), "the device's answer");
            Assert.That(listed.GetProperty("watches")[0].GetProperty("refusal").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(listed.GetProperty("watches")[0].GetProperty("received").GetInt64(), Is.InRange(watchesBefore[0].Received, watchesAfter[0].Received));
            Assert.That(listed.GetProperty("watches")[2].GetProperty("received").GetInt64(), Is.Zero);
        });

        // GET /devices/{id}: the same, with the watched values (on-change watches of registers nobody changes: stable).
        JsonElement one = await GetJsonAsync(gateway.Http, $"/devices/{device.DeviceId}");
        Assert.That(Text(one, "deviceId"), Is.EqualTo(device.DeviceId));
        Assert.That(
            one.GetProperty("values").EnumerateArray().Select(v => (v.GetProperty("slot").GetByte(), v.GetProperty("register").GetUInt16(), v.GetProperty("value").GetInt32(), v.GetProperty("uptimeMs").GetUInt32(), v.GetProperty("receivedAt").GetDateTimeOffset())),
            Is.EqualTo(device.Values.Select(v => (v.Slot, v.Register, v.Value, v.UptimeMs, v.ReceivedAt))));
        Assert.That(device.Values.Select(v => (v.Slot, v.Register, v.Value)), Is.EqualTo(new[] { ((byte)1, (ushort)0, 0), ((byte)1, (ushort)1, 1), ((byte)3, (ushort)0, 150) }));

        (HttpStatusCode missingStatus, string missing) = await GetTextAsync(gateway.Http, "/devices/no-such-device");
        Assert.That(missingStatus, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(missing, Does.Contain("No such device").And.Contain("no-such-device"));

        Assert.That(await GetTextAsync(gateway.Http, "/health"), Is.EqualTo((HttpStatusCode.OK, "Healthy")));
        (HttpStatusCode metricsStatus, string metrics) = await GetTextAsync(gateway.Http, "/metrics");
        Assert.That(metricsStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(metrics, Does.Contain("mcp_frames_frames_received").And.Contain("mcp_frames_requests_started"));

        // The device falls silent: /health and /devices follow the registry.
        sim.Faults.SilenceFor(TimeSpan.FromMinutes(5));
        await Await.UntilAsync(registry, () => device.Health == DeviceHealth.Offline, "offline");
        JsonElement offline = await GetJsonAsync(gateway.Http, $"/devices/{device.DeviceId}");
        Assert.That(Text(offline, "health"), Is.EqualTo("offline"));
        Assert.That(Text(offline, "healthReason"), Is.Not.Empty);
        (HttpStatusCode degradedStatus, string degraded) = await GetTextAsync(gateway.Http, "/health");
        Assert.That(degradedStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(degraded, Does.StartWith("Degraded: ").And.Contain($"{device.DeviceId} is Offline: "), "names the device and why");

        sim.Faults.EndSilence();
        await Await.UntilAsync(registry, () => device.Health == DeviceHealth.Healthy, "healthy again");
        Assert.That(await GetTextAsync(gateway.Http, "/health"), Is.EqualTo((HttpStatusCode.OK, "Healthy")));
        Assert.That(Text((await GetJsonAsync(gateway.Http, "/devices")).EnumerateArray().Single(), "health"), Is.EqualTo("healthy"));
    }

    [Test]
    public async Task A_device_id_with_control_characters_is_exact_in_json_and_escaped_in_the_health_text_and_the_live_values_log()
    {
        const string Id = DeviceRig.ForgedId;
        string definition = DeviceRig.WithDeviceId(DeviceRig.DefinitionJson, Id);
        SimHost sim = Track(await DeviceRig.StartSimAsync(LinkKind.Tcp, Logs, FirmwareSim.Definition.DeviceDefinition.Parse(definition, "forged.json")));
        Task<LogEntry> liveValues = Logs.WaitForAsync(e => e.Message.Contains("live values", StringComparison.Ordinal)); // every 2 s
        RunningGateway gateway = Track(await RunningGateway.StartAsync(
            Logs,
            [
                "--Gateway:Links:0:Tcp:Host=127.0.0.1", $"--Gateway:Links:0:Tcp:Port={sim.TcpEndPoint!.Port}",
                "--Gateway:Watches:0:Slot=3", "--Gateway:Watches:0:Register=1", "--Gateway:Watches:0:PeriodMs=50",
                "--Gateway:HeartbeatIntervalMs=200", "--Gateway:HeartbeatMissedLimit=5", "--Gateway:DegradedAfterSilenceMs=400",
                "--Gateway:HealthIntervalMs=50", "--Gateway:RequestTimeoutMs=1000", "--Gateway:MaxBackoffMs=200",
            ]));
        DeviceEntry device = gateway.Registry.Devices.Single();
        await Await.UntilAsync(gateway.Registry, () => device.Health == DeviceHealth.Healthy, "healthy");

        Assert.That(Text((await GetJsonAsync(gateway.Http, "/devices")).EnumerateArray().Single(), "deviceId"), Is.EqualTo(Id));
        Assert.That((await liveValues).Message, Does.StartWith($"{DeviceRig.ForgedIdShown} (Healthy) live values: 3/1="));

        sim.Faults.SilenceFor(TimeSpan.FromMinutes(5));
        await Await.UntilAsync(gateway.Registry, () => device.Health != DeviceHealth.Healthy, "unwell");
        (HttpStatusCode status, string health) = await GetTextAsync(gateway.Http, "/health");
        sim.Faults.EndSilence();

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(health, Does.StartWith($"Degraded: {DeviceRig.ForgedIdShown} is "));
            Assert.That(health.Any(char.IsControl), Is.False, health);
            Assert.That(Logs.Entries.Where(e => e.Message.Any(char.IsControl)).Select(e => e.Message), Is.Empty, "no log line carries a control character");
        });
    }
}
