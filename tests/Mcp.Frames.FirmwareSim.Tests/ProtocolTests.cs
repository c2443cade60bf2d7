using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>
/// Every MCP/1 command and status code (PROTOCOL.md §2.3) against the simulated device, with the library's McpClient
/// as the gateway, over an in-memory link, TCP on 127.0.0.1, and the pseudo-terminal the host creates.
/// </summary>
[TestFixture(LinkKind.InMemory)]
[TestFixture(LinkKind.Tcp)]
[TestFixture(LinkKind.Pty)]
public sealed class ProtocolTests(LinkKind kind)
{
    private FakeTimeProvider _clock = null!;
    private SimHost _host = null!;
    private LogCollector _log = null!;
    private SimClient _client = null!;

    [SetUp]
    public async Task SetUp()
    {
        _clock = SimHosts.NewClock();
        _log = DeviceLog.WarningsAndErrors();
        _host = await SimHosts.StartAsync(kind, _clock, configure: o => o.LoggerFactory = _log).Within();
        _client = await SimClient.ConnectAsync(_host, kind);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _client.DisposeAsync();
        await _host.DisposeAsync().Within();
        _log.Dispose();
        Assert.That(_log.Lines(), Is.Empty, "the device logged no warning or error");
    }

    [Test]
    public async Task Hello_reports_identity_modules_and_the_boot_id()
    {
        DeviceInfo info = await _client.Mcp.HelloAsync().Within();

        Assert.Multiple(() =>
        {
            Assert.That(info.ProtocolVersion, Is.EqualTo(1));
            Assert.That(info.DeviceId, Is.EqualTo("sim-001"));
            Assert.That(info.Firmware, Is.EqualTo(new Version(1, 2, 3)));
            Assert.That(info.MaxPayload, Is.EqualTo(256));
            Assert.That(info.BootId, Is.EqualTo(_host.Device.BootId).And.Not.Zero);
            Assert.That(info.Modules, Is.EqualTo(new[]
            {
                new ModuleInfo(1, 0x0001, 1, "relays"),
                new ModuleInfo(2, 0x0004, 1, "boiler"),
                new ModuleInfo(3, 0x0010, 1, "custom"),
                new ModuleInfo(4, 0x0010, 1, "wide"),
            }));
        });
    }

    [Test]
    public async Task Hello_lowers_the_link_limit_to_the_smaller_side_and_answers_that_do_not_fit_are_TOO_LARGE()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 4, 0, 0, 16), Is.EqualTo(McpStatus.Ok), "256 bytes before HELLO: 16 registers fit");
        await using SimClient small = await SimClient.ConnectAsync(_host, kind == LinkKind.Pty ? LinkKind.InMemory : kind, maxPayload: 64);

        await small.Mcp.HelloAsync().Within();

        Assert.That(small.Connection.MaxPayloadLength, Is.EqualTo(64));
        Assert.That(await small.StatusOfAsync(McpCommand.Read, 4, 0, 0, 16), Is.EqualTo(McpStatus.TooLarge), "2 + 16 × 4 = 66 > 64");
        Assert.That(await small.StatusOfAsync(McpCommand.Read, 4, 0, 0, 15), Is.EqualTo(McpStatus.Ok), "2 + 15 × 4 = 62 ≤ 64");
        Assert.That(await small.StatusOfAsync(McpCommand.Subscribe, 4, 0, 0, 15, 100, 0, 0), Is.EqualTo(McpStatus.TooLarge), "an EVENT of 15 values is 67 bytes");
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 4, 0, 0, 16), Is.EqualTo(McpStatus.Ok), "each link negotiates its own limit");
    }

    [Test]
    public async Task Hello_with_another_protocol_version_is_UNSUPPORTED_VERSION_and_a_short_body_is_BAD_REQUEST()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Hello, 2, 0, 1), Is.EqualTo(McpStatus.UnsupportedVersion));
        Assert.That(await _client.StatusOfAsync(McpCommand.Hello, 1), Is.EqualTo(McpStatus.BadRequest));
        Assert.That(await _client.StatusOfAsync(McpCommand.Hello, 1, 1, 0), Is.EqualTo(McpStatus.BadRequest), "maxPayload 1 cannot carry an answer");
        var hello = await _client.RawAsync(McpCommand.Hello, 1, 0, 1);
        Assert.That(hello.Status, Is.EqualTo(McpStatus.Ok));
    }

    [Test]
    public async Task Ping_echoes_its_bytes()
    {
        await _client.Mcp.PingAsync(new byte[] { 1, 2, 3, 0x5A, 0xFF }).Within();
        await _client.Mcp.PingAsync().Within();
        var empty = await _client.RawAsync(McpCommand.Ping);
        Assert.That(empty, Is.EqualTo((McpStatus.Ok, Array.Empty<byte>())));
    }

    [Test]
    public async Task Describe_lists_every_register_with_its_access_page_by_page()
    {
        IReadOnlyList<RegisterInfo> custom = await _client.Mcp.DescribeAsync(3).Within();
        Assert.That(custom, Is.EqualTo(new[]
        {
            new RegisterInfo(0, RegisterAccess.Read | RegisterAccess.Config, "setpoint"),
            new RegisterInfo(1, RegisterAccess.Read, "ticks"),
            new RegisterInfo(2, RegisterAccess.Read | RegisterAccess.Write, "output"),
            new RegisterInfo(3, RegisterAccess.Write, "command"),
            new RegisterInfo(4, RegisterAccess.Read | RegisterAccess.Config, "limit"),
        }));

        await using SimClient small = await SimClient.ConnectAsync(_host, kind == LinkKind.Pty ? LinkKind.InMemory : kind, maxPayload: 64);
        await small.Mcp.HelloAsync().Within();
        _host.Requests.Clear();
        long sentBefore = small.Connection.Statistics.RequestsSent;
        IReadOnlyList<RegisterInfo> wide = await small.Mcp.DescribeAsync(4).Within();
        long pages = small.Connection.Statistics.RequestsSent - sentBefore;

        Assert.That(wide.Select(r => r.Name), Is.EqualTo(Enumerable.Range(0, 16).Select(i => $"w{i}")));

        // The device logs a request once it has answered it: the last page's record can come a moment after its answer.
        await Bounded.UntilAsync(() => _host.Requests.Snapshot().Count(r => r.Command == McpCommand.Describe) >= pages, "the device has logged every DESCRIBE");
        Assert.That(_host.Requests.Snapshot().Count(r => r.Command == McpCommand.Describe), Is.GreaterThan(1), "16 entries of 7 bytes do not fit one 64-byte page");
    }

    [Test]
    public async Task Describe_status_codes()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Describe, 9, 0), Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(await _client.StatusOfAsync(McpCommand.Describe, 3, 6), Is.EqualTo(McpStatus.BadRequest), "first past the end");
        Assert.That(await _client.StatusOfAsync(McpCommand.Describe, 3), Is.EqualTo(McpStatus.BadRequest), "short body");
        var end = await _client.RawAsync(McpCommand.Describe, 3, 5);
        Assert.That(end, Is.EqualTo((McpStatus.Ok, new byte[] { 5, 5, 0 })), "first == total: an empty page");
    }

    [Test]
    public async Task Read_returns_live_values_that_follow_the_device_clock()
    {
        _host.Device.SetRegister(1, 2, 1);

        Assert.That(await _client.Mcp.ReadAsync(1, 0, 4).Within(), Is.EqualTo(new[] { 0, 0, 1, 0 }));
        Assert.That(await _client.Mcp.ReadAsync(2, 0, 2).Within(), Is.EqualTo(new[] { 2150, 0 }), "temperature without noise, no alarm");
        Assert.That(await _client.Mcp.ReadAsync(3, 0, 3).Within(), Is.EqualTo(new[] { 100, 0, 0 }), "a configuration register reads like any other");

        _clock.Advance(TimeSpan.FromMilliseconds(1050));

        Assert.That(await _client.Mcp.ReadAsync(3, 1).Within(), Is.EqualTo(new[] { 10 }), "ticks: +1 every 100 ms");
    }

    [Test]
    public async Task Read_status_codes()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 9, 0, 0, 1), Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 3, 99, 0, 1), Is.EqualTo(McpStatus.NoSuchRegister));
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 1, 2, 0, 3), Is.EqualTo(McpStatus.NoSuchRegister), "relays 2, 3 exist, 4 does not");
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 3, 3, 0, 1), Is.EqualTo(McpStatus.BadRequest), "write-only register");
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 3, 0, 0, 0), Is.EqualTo(McpStatus.BadRequest), "count 0");
        Assert.That(await _client.StatusOfAsync(McpCommand.Read, 3, 0), Is.EqualTo(McpStatus.BadRequest), "short body");
        var error = Assert.ThrowsAsync<RemoteStatusException>(() => _client.Mcp.ReadAsync(3, 99).Within());
        Assert.That(error!.Message, Does.Contain("NO_SUCH_REGISTER").And.Contain("register 99"), "the device explains a refusal");
    }

    [Test]
    public async Task Write_changes_live_registers_for_everyone()
    {
        await _client.Mcp.WriteAsync(1, 1, new[] { 1, 1 }).Within();
        await _client.Mcp.WriteAsync(3, 2, new[] { -42 }).Within();

        Assert.That(await _client.Mcp.ReadAsync(1, 0, 4).Within(), Is.EqualTo(new[] { 0, 1, 1, 0 }));
        Assert.That(_host.Device.ReadRegister(3, 2), Is.EqualTo(-42));
        Assert.That(_host.Device.ReadRegister(1, 0x80), Is.EqualTo(0b0110), "the relay mask register");
    }

    [Test]
    public async Task Write_is_all_or_nothing()
    {
        await _client.Mcp.WriteAsync(3, 2, new[] { 5 }).Within();

        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(3, 2, 6, 7, 8)), Is.EqualTo(McpStatus.ReadOnly), "register 4 is configuration");
        Assert.That(_host.Device.ReadRegister(3, 2), Is.EqualTo(5), "nothing was written");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(1, 0, 1, 1, 2)), Is.EqualTo(McpStatus.BadRequest), "a relay is 0 or 1");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(1, 2, 1, 1, 1)), Is.EqualTo(McpStatus.NoSuchRegister), "relay 4 does not exist");
        Assert.That(await _client.Mcp.ReadAsync(1, 0, 4).Within(), Is.EqualTo(new[] { 0, 0, 0, 0 }));
    }

    [Test]
    public async Task Write_status_codes()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(3, 1, 1)), Is.EqualTo(McpStatus.ReadOnly), "read-only register");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(3, 0, 1)), Is.EqualTo(McpStatus.ReadOnly), "configuration register: CONFIG_SET only");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(2, 0, 2500)), Is.EqualTo(McpStatus.ReadOnly), "a temperature sensor");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(9, 0, 1)), Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(3, 99, 1)), Is.EqualTo(McpStatus.NoSuchRegister));
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, 3, 2, 0, 1, 2), Is.EqualTo(McpStatus.BadRequest), "a partial value");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, 3, 2, 0), Is.EqualTo(McpStatus.BadRequest), "no value");
        Assert.That(await _client.StatusOfAsync(McpCommand.Write, Body.Write(3, 3, 9)), Is.EqualTo(McpStatus.Ok), "a write-only register");
    }

    [Test]
    public async Task Periodic_subscription_publishes_every_period_with_its_own_eventSeq()
    {
        await using McpSubscription ticks = await _client.Mcp.SubscribeAsync(new SubscribeRequest(3, 1, 1, 100, SubscribeMode.Periodic)).Within();
        await using McpSubscription relays = await _client.Mcp.SubscribeAsync(new SubscribeRequest(1, 0, 4, 200, SubscribeMode.Periodic)).Within();
        await using IAsyncEnumerator<McpEvent> tickEvents = ticks.ReadAllAsync().GetAsyncEnumerator();
        await using IAsyncEnumerator<McpEvent> relayEvents = relays.ReadAllAsync().GetAsyncEnumerator();

        for (int i = 0; i < 4; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            Assert.That(await tickEvents.MoveNextAsync().Within(), Is.True);
            Assert.That((tickEvents.Current.EventSeq, tickEvents.Current[0], tickEvents.Current.UptimeMs), Is.EqualTo(((ushort)i, i + 1, (uint)(100 * (i + 1)))));
        }

        Assert.That(await relayEvents.MoveNextAsync().Within(), Is.True);
        Assert.That((relayEvents.Current.EventSeq, relayEvents.Current.ToArray()), Is.EqualTo(((ushort)0, new[] { 0, 0, 0, 0 })));
        Assert.That(await relayEvents.MoveNextAsync().Within(), Is.True);
        Assert.That(relayEvents.Current.EventSeq, Is.EqualTo(1), "eventSeq counts per subscription");
        Assert.That(_host.SubscriptionCount, Is.EqualTo(2));
    }

    [Test]
    public async Task On_change_subscription_publishes_only_when_a_value_changed()
    {
        await using McpSubscription subscription = await _client.Mcp.SubscribeAsync(new SubscribeRequest(1, 0, 2, 50, SubscribeMode.OnChange)).Within();
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();

        _clock.Advance(TimeSpan.FromMilliseconds(50)); // nothing changed: no EVENT
        _host.Device.SetRegister(1, 1, 1);
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.That(await events.MoveNextAsync().Within(), Is.True);
        Assert.That((events.Current.EventSeq, events.Current.ToArray()), Is.EqualTo(((ushort)0, new[] { 0, 1 })));

        _clock.Advance(TimeSpan.FromMilliseconds(150)); // three checks, no change
        await _client.Mcp.WriteAsync(1, 0, new[] { 1 }).Within();
        _clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.That(await events.MoveNextAsync().Within(), Is.True);
        Assert.That((events.Current.EventSeq, events.Current.ToArray(), events.Current.LostBefore), Is.EqualTo(((ushort)1, new[] { 1, 1 }, 0L)), "the next EVENT is the next change; none came in between");
    }

    [Test]
    public async Task Unsubscribe_stops_the_events_and_is_idempotent()
    {
        McpSubscription subscription = await _client.Mcp.SubscribeAsync(new SubscribeRequest(3, 1, 1, 100, SubscribeMode.Periodic)).Within();
        Assert.That(_host.SubscriptionCount, Is.EqualTo(1));

        await _client.Mcp.UnsubscribeAsync(subscription.SubscriptionId).Within();

        Assert.That(_host.SubscriptionCount, Is.Zero);
        Assert.That(await _client.StatusOfAsync(McpCommand.Unsubscribe, subscription.SubscriptionId), Is.EqualTo(McpStatus.Ok), "again: still OK");
        Assert.That(await _client.StatusOfAsync(McpCommand.Unsubscribe, 200), Is.EqualTo(McpStatus.Ok), "an id never handed out");
        Assert.That(await _client.StatusOfAsync(McpCommand.Unsubscribe), Is.EqualTo(McpStatus.BadRequest), "no subId");
        await subscription.DisposeAsync();
    }

    [Test]
    public async Task Subscribe_status_codes()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Subscribe, 9, 0, 0, 1, 100, 0, 0), Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(await _client.StatusOfAsync(McpCommand.Subscribe, 3, 99, 0, 1, 100, 0, 0), Is.EqualTo(McpStatus.NoSuchRegister));
        Assert.That(await _client.StatusOfAsync(McpCommand.Subscribe, 3, 3, 0, 1, 100, 0, 0), Is.EqualTo(McpStatus.BadRequest), "write-only");
        Assert.That(await _client.StatusOfAsync(McpCommand.Subscribe, 3, 1, 0, 1, 5, 0, 0), Is.EqualTo(McpStatus.BadRequest), "periodMs below 10");
        Assert.That(await _client.StatusOfAsync(McpCommand.Subscribe, 3, 1, 0, 1, 100, 0, 2), Is.EqualTo(McpStatus.BadRequest), "mode 2");
        Assert.That(await _client.StatusOfAsync(McpCommand.Subscribe, 3, 1, 0, 0, 100, 0, 0), Is.EqualTo(McpStatus.BadRequest), "count 0");
        Assert.That(_host.SubscriptionCount, Is.Zero);
    }

    [Test]
    public async Task A_full_subscription_table_answers_BUSY()
    {
        await using SimHost host = await SimHosts.StartAsync(kind, _clock, configure: o => o.MaxSubscriptionsPerLink = 2).Within();
        await using SimClient client = await SimClient.ConnectAsync(host, kind);
        byte[] subscribe = [3, 1, 0, 1, 100, 0, 0];

        Assert.That(await client.StatusOfAsync(McpCommand.Subscribe, subscribe), Is.EqualTo(McpStatus.Ok));
        Assert.That(await client.StatusOfAsync(McpCommand.Subscribe, subscribe), Is.EqualTo(McpStatus.Ok));
        Assert.That(await client.StatusOfAsync(McpCommand.Subscribe, subscribe), Is.EqualTo(McpStatus.Busy));
    }

    [Test]
    public async Task Config_get_and_set_with_versions()
    {
        ConfigSnapshot initial = await _client.Mcp.ConfigGetAsync(3).Within();
        Assert.That(initial.Version, Is.Zero);
        Assert.That(initial.Entries, Is.EqualTo(new[] { new ConfigEntry(0, 100), new ConfigEntry(4, 7) }));

        uint version = await _client.Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, 150)]).Within();

        Assert.That(version, Is.EqualTo(1));
        ConfigSnapshot after = await _client.Mcp.ConfigGetAsync(3).Within();
        Assert.That(after.Version, Is.EqualTo(1));
        Assert.That(after.Entries, Is.EqualTo(new[] { new ConfigEntry(0, 150), new ConfigEntry(4, 7) }), "incremental: register 4 kept its value");
        Assert.That(await _client.Mcp.ReadAsync(3, 0).Within(), Is.EqualTo(new[] { 150 }));
        Assert.That(await _client.Mcp.ConfigSetAsync(3, 1, []).Within(), Is.EqualTo(2), "every successful CONFIG_SET increments the version");
        Assert.That((await _client.Mcp.ConfigGetAsync(1).Within()).Entries, Is.EqualTo(new[] { new ConfigEntry(0x100, 0) }), "relay powerOnMask");
    }

    [Test]
    public async Task Config_set_status_codes_change_nothing()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigSet, Body.ConfigSet(3, 5, (0, 1))), Is.EqualTo(McpStatus.VersionConflict));
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigSet, Body.ConfigSet(3, 0, (0, 1), (2, 1))), Is.EqualTo(McpStatus.NoSuchRegister), "register 2 is not configuration");
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigSet, Body.ConfigSet(3, 0, (99, 1))), Is.EqualTo(McpStatus.NoSuchRegister));
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigSet, Body.ConfigSet(9, 0, (0, 1))), Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigSet, Body.ConfigSet(1, 0, (0x100, 0x10))), Is.EqualTo(McpStatus.BadRequest), "powerOnMask bit 4 of a 4-relay module");
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigSet, 3, 0, 0, 0, 0, 1, 0), Is.EqualTo(McpStatus.BadRequest), "an entry cut short");
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigGet, 9), Is.EqualTo(McpStatus.NoSuchModule));
        Assert.That(await _client.StatusOfAsync(McpCommand.ConfigGet), Is.EqualTo(McpStatus.BadRequest));

        ConfigSnapshot after = await _client.Mcp.ConfigGetAsync(3).Within();
        Assert.That((after.Version, after.Entries), Is.EqualTo((0u, (IReadOnlyList<ConfigEntry>)[new ConfigEntry(0, 100), new ConfigEntry(4, 7)])));
    }

    [Test]
    public async Task Unknown_commands_are_UNKNOWN_COMMAND()
    {
        Assert.That(await _client.StatusOfAsync(0x07), Is.EqualTo(McpStatus.UnknownCommand));
        Assert.That(await _client.StatusOfAsync(0x3F, 1, 2), Is.EqualTo(McpStatus.UnknownCommand));
        Assert.That(await _client.StatusOfAsync(0x55), Is.EqualTo(McpStatus.UnknownCommand), "vendor-specific range");
    }

    [Test]
    public async Task Reset_reboots_with_a_new_boot_id_drops_subscriptions_and_keeps_the_configuration()
    {
        DeviceInfo before = await _client.Mcp.HelloAsync().Within();
        await _client.Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, 123)]).Within();
        await _client.Mcp.WriteAsync(1, 0, new[] { 1 }).Within();
        await _client.Mcp.SubscribeAsync(new SubscribeRequest(3, 1, 1, 100, SubscribeMode.Periodic)).Within();
        _clock.Advance(TimeSpan.FromSeconds(5));

        await _client.Mcp.ResetAsync().Within();

        SimClient client = _client;
        if (kind != LinkKind.Pty)
        {
            ConnectionClosedInfo closed = await _client.Connection.Completion.Within();
            Assert.That(closed.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed), "RESET closes TCP and in-memory links");
            client = _client = await SimClient.ConnectAsync(_host, kind);
        }

        DeviceInfo after = await client.Mcp.HelloAsync().Within();
        Assert.Multiple(() =>
        {
            Assert.That(after.BootId, Is.Not.EqualTo(before.BootId));
            Assert.That(_host.SubscriptionCount, Is.Zero, "subscriptions die with a reboot");
            Assert.That(_host.Device.BootCount, Is.EqualTo(2));
        });
        Assert.That(await client.Mcp.ReadAsync(3, 0, 2).Within(), Is.EqualTo(new[] { 123, 0 }), "configuration kept; uptime (ticks) from zero");
        Assert.That(await client.Mcp.ReadAsync(1, 0).Within(), Is.EqualTo(new[] { 0 }), "live relays back to their power-on state");
        Assert.That((await client.Mcp.ConfigGetAsync(3).Within()).Version, Is.EqualTo(1));
    }

    [Test]
    public async Task Reset_with_an_unknown_mode_is_BAD_REQUEST()
    {
        Assert.That(await _client.StatusOfAsync(McpCommand.Reset, 1), Is.EqualTo(McpStatus.BadRequest));
        Assert.That(await _client.StatusOfAsync(McpCommand.Reset), Is.EqualTo(McpStatus.BadRequest));
        Assert.That(_host.Device.BootCount, Is.EqualTo(1));
    }

    [Test]
    public async Task The_busy_fault_answers_BUSY_and_the_client_retries()
    {
        _host.Faults.Update(f => f with { Busy = 1 });
        Assert.That(await _client.StatusOfAsync(McpCommand.Ping, 1), Is.EqualTo(McpStatus.Busy));
        var error = Assert.ThrowsAsync<RemoteStatusException>(() => _client.Mcp.ReadAsync(1, 0).Within());
        Assert.That(error!.Status, Is.EqualTo((byte)McpStatus.Busy));

        _host.Faults.Clear();

        Assert.That(await _client.StatusOfAsync(McpCommand.Ping, 1), Is.EqualTo(McpStatus.Ok));
        Assert.That(_host.Faults.Counters.BusyAnswers, Is.EqualTo(4), "one raw request + the first try and two retries of READ");
    }
}
