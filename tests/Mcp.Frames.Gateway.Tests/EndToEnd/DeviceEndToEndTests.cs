using Mcp.Frames.Devices;
using Mcp.Frames.FirmwareSim.Device;
using Mcp.Frames.Gateway.Tests.Support;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using NUnit.Framework;

namespace Mcp.Frames.Gateway.Tests.EndToEnd;

/// <summary>
/// The gateway's library pieces (device registry, configuration sync, resilient session) against firmware-sim, over
/// TCP on 127.0.0.1 and over a pseudo-terminal opened as a serial port. Real clock, short settings, every wait bounded.
/// </summary>
[TestFixture(LinkKind.Tcp)]
[TestFixture(LinkKind.Pty)]
public sealed class DeviceEndToEndTests(LinkKind kind) : GatewayTestBase
{
    private static bool IsTicks(WatchedValue v) => v is { Slot: 3, Register: 1 };

    private static int ConfigValue(DeviceRig rig, ushort register) =>
        rig.Sim.Device.GetConfig(3).Entries.Single(e => e.Register == register).Value;

    [Test]
    public async Task Discovers_the_device_and_keeps_its_watched_values_live()
    {
        DeviceRig rig = Track(await DeviceRig.StartAsync(kind, Logs));

        DeviceEntry discovered = await rig.Discovered.NextAsync(what: "discovery");
        Assert.That(discovered, Is.SameAs(rig.Entry));
        DeviceInfo identity = rig.Entry.Identity!;
        SimDevice device = rig.Sim.Device;
        Assert.Multiple(() =>
        {
            Assert.That(identity.DeviceId, Is.EqualTo(DeviceRig.DeviceId));
            Assert.That(identity.Firmware, Is.EqualTo(new Version(2, 1, 0)));
            Assert.That(identity.BootId, Is.EqualTo(device.BootId));
            Assert.That(identity.Modules.Select(m => (m.Slot, m.Name, m.Type)), Is.EqualTo(device.Modules.Select(m => (m.Slot, m.Name, m.TypeCode))));
        });

        await rig.WaitUntilReadyAsync();
        Assert.That(rig.Registry.Find(DeviceRig.DeviceId), Is.SameAs(rig.Entry));
        Assert.That(ConfigValue(rig, 0), Is.EqualTo(150), "the desired set point was written at discovery");

        // A periodic watch: the ticking register keeps arriving.
        WatchedValue first = await rig.UntilValueAsync(IsTicks, "of the ticking register");
        await rig.UntilValueAsync(v => IsTicks(v) && v.Value > first.Value, "of the ticking register, advanced");

        // An on-change watch: a relay switched by another client shows up.
        McpClient other = await rig.ConnectSecondClientAsync();
        await other.WriteAsync(1, 1, new[] { 1 }).Within();
        await rig.UntilValueAsync(v => v is { Slot: 1, Register: 1, Value: 1 }, "relay 1 on");
        Assert.That(rig.Entry.Values.Single(v => v is { Slot: 1, Register: 0 }).Value, Is.Zero);

        DeviceStatistics stats = rig.Entry.Statistics;
        Assert.Multiple(() =>
        {
            Assert.That(stats.Connects, Is.EqualTo(1));
            Assert.That(stats.FramesReceived, Is.GreaterThan(2));
            Assert.That(stats.ChecksumErrors, Is.Zero);
            Assert.That(rig.Entry.Reboots, Is.Zero);
        });
    }

    [Test]
    public async Task A_device_id_with_control_characters_is_matched_in_the_desired_configuration_exactly_and_logged_escaped()
    {
        // The id holds a line break and a terminal escape; the desired configuration names it with JSON escapes.
        const string Id = DeviceRig.ForgedId;
        string definition = DeviceRig.WithDeviceId(DeviceRig.DefinitionJson, Id);
        string desired = DeviceRig.WithDeviceId(DeviceRig.DesiredJson, Id);
        Assert.That(definition, Does.Not.Contain("gw-e2e"));

        DeviceRig rig = Track(await DeviceRig.StartAsync(kind, Logs, desired, definition: FirmwareSim.Definition.DeviceDefinition.Parse(definition, "forged.json")));
        await rig.WaitUntilReadyAsync();

        Assert.Multiple(() =>
        {
            Assert.That(rig.Entry.DeviceId, Is.EqualTo(Id));
            Assert.That(ConfigValue(rig, 0), Is.EqualTo(150), "the desired set point was written: the device was found by its exact id");
            Assert.That(Logs.Entries.Where(e => e.Message.Contains("crit forged", StringComparison.Ordinal)).Select(e => e.Message), Is.Not.Empty.And.All.Contains(DeviceRig.ForgedIdShown));
            Assert.That(Logs.Entries.Where(e => e.Message.Any(char.IsControl)).Select(e => e.Message), Is.Empty, "no log line carries a control character");
        });
    }

    [Test]
    public async Task Health_goes_degraded_then_offline_when_the_device_falls_silent_and_healthy_when_it_speaks_again()
    {
        DeviceRig rig = Track(await DeviceRig.StartAsync(kind, Logs));
        await rig.WaitUntilReadyAsync();

        rig.Sim.Faults.SilenceFor(TimeSpan.FromMinutes(5));
        DeviceHealthChange degraded = await rig.Health.NextAsync(c => c.Current != DeviceHealth.Healthy, "health change");
        Assert.That(degraded.Current, Is.EqualTo(DeviceHealth.Degraded), "degraded before the heartbeat gives up on the link");
        Assert.That(degraded.Reason, Does.Contain("nothing received for"));

        DeviceHealthChange offline = await rig.Health.NextAsync(c => c.Current == DeviceHealth.Offline, "offline");
        Assert.That(offline.Previous, Is.EqualTo(DeviceHealth.Degraded));
        Assert.That(offline.Reason, Does.Contain("heartbeat lost"), "the reason says why the link ended");

        rig.Sim.Faults.EndSilence();
        DeviceHealthChange healthy = await rig.Health.NextAsync(c => c.Current == DeviceHealth.Healthy, "healthy again");
        DateTimeOffset back = DateTimeOffset.UtcNow;
        Assert.That(healthy.Reason, Is.EqualTo("answering"));
        Assert.That(rig.Entry.Statistics.Connects, Is.GreaterThanOrEqualTo(2), "the link was opened again");
        Assert.That(rig.Entry.Reboots, Is.Zero, "the same boot: not a reboot");
        Assert.That((rig.Reboots.Seen.Count, rig.Reboots.Unread), Is.EqualTo((0, 0)), "no DeviceRebooted raised");
        await rig.UntilValueAsync(v => IsTicks(v) && v.ReceivedAt > back, "of the ticking register after the silence");
        Assert.That(rig.Sim.SubscriptionCount, Is.EqualTo(2), "the watches, once each: none left over from the connection that was given up");
    }

    [Test]
    public async Task A_reset_is_seen_as_a_reboot_and_subscriptions_and_configuration_are_restored()
    {
        DeviceRig rig = Track(await DeviceRig.StartAsync(kind, Logs));
        await rig.WaitUntilReadyAsync();
        uint bootBefore = rig.Entry.Identity!.BootId;
        await rig.UntilValueAsync(IsTicks, "of the ticking register");

        // Another client changes the set point behind the gateway's back; the device keeps it across the reset.
        McpClient other = await rig.ConnectSecondClientAsync();
        ConfigSnapshot before = await other.ConfigGetAsync(3).Within();
        uint changed = await other.ConfigSetAsync(3, before.Version, [new ConfigEntry(0, 999)]).Within();
        Assert.That(ConfigValue(rig, 0), Is.EqualTo(999));

        await other.ResetAsync().Within(); // answered before the device restarts
        DeviceEntry rebooted = await rig.Reboots.NextAsync(what: "reboot");
        Assert.That(rebooted, Is.SameAs(rig.Entry));
        Assert.That(rig.Entry.Reboots, Is.EqualTo(1));
        Assert.That(rig.Entry.Identity!.BootId, Is.EqualTo(rig.Sim.Device.BootId).And.Not.EqualTo(bootBefore));

        // Configuration restored: reconciled back to the desired value after the reboot.
        await rig.UntilAsync(() => rig.Entry.ConfigSync is { State: ConfigSyncState.InSync } s && s.Version > changed, "in sync after the reboot");
        Assert.That(ConfigValue(rig, 0), Is.EqualTo(150));

        // Subscriptions restored: the device publishes the watches again, and the registry receives them.
        await rig.UntilAsync(() => rig.Entry.Health == DeviceHealth.Healthy, "healthy after the reboot");
        DateTimeOffset resubscribed = DateTimeOffset.UtcNow;
        Assert.That(rig.Sim.SubscriptionCount, Is.EqualTo(2), "the two watches, on the new boot");
        await rig.UntilValueAsync(v => IsTicks(v) && v.ReceivedAt > resubscribed, "of the ticking register after the reboot");
        McpClient again = await rig.ConnectSecondClientAsync(); // the reset closed the other client's TCP link
        await again.WriteAsync(1, 0, new[] { 1 }).Within();
        await rig.UntilValueAsync(v => v is { Slot: 1, Register: 0, Value: 1 }, "relay 0 on, through the on-change watch of the new boot");
    }

    [Test]
    public async Task An_edited_desired_configuration_is_applied_without_restart_and_a_broken_one_is_refused()
    {
        DeviceRig rig = Track(await DeviceRig.StartAsync(kind, Logs));
        await rig.WaitUntilReadyAsync();
        uint first = rig.Entry.ConfigSync.Version;

        await rig.WriteDesiredAsync("""{ "gw-e2e": { "3": { "0": 175, "4": 9 } } }""");
        await rig.UntilAsync(() => rig.Entry.ConfigSync is { State: ConfigSyncState.InSync } s && s.Version > first, "in sync with the edit");
        Assert.Multiple(() =>
        {
            Assert.That(ConfigValue(rig, 0), Is.EqualTo(175));
            Assert.That(ConfigValue(rig, 4), Is.EqualTo(9));
            Assert.That(rig.Sync.Reloads, Is.EqualTo(1));
            Assert.That(rig.Entry.Statistics.Connects, Is.EqualTo(1), "applied on the running link");
        });
        uint second = rig.Entry.ConfigSync.Version;

        Logs.ExpectError(e => e.Message.Contains("edit refused", StringComparison.Ordinal));
        Task<LogEntry> refused = Logs.WaitForAsync(e => e.Message.Contains("edit refused", StringComparison.Ordinal));
        await rig.WriteDesiredAsync("""{ "gw-e2e": { "3": { "0": "hot" } } }""");
        LogEntry log = await refused;

        // The refusal is logged before LastError shows it (on the watcher's timer thread).
        await Bounded.UntilAsync(() => rig.Sync.LastError is not null, "the service reports the refused edit");
        Assert.Multiple(() =>
        {
            Assert.That(log.Message, Does.Contain("$['gw-e2e']['3']['0']"), "the message names the bad field");
            Assert.That(rig.Sync.LastError, Does.Contain("$['gw-e2e']['3']['0']"));
            Assert.That(rig.Sync.Current.TryGet(DeviceRig.DeviceId, out var kept) ? kept[3][0] : 0, Is.EqualTo(175), "the last good configuration stays in force");
            Assert.That(ConfigValue(rig, 0), Is.EqualTo(175));
            Assert.That(rig.Entry.ConfigSync.State, Is.EqualTo(ConfigSyncState.InSync));
            Assert.That(rig.Entry.ConfigSync.Version, Is.EqualTo(second));
        });

        await rig.WriteDesiredAsync("""{ "gw-e2e": { "3": { "0": 180 } } }""");
        await rig.UntilAsync(() => rig.Entry.ConfigSync is { State: ConfigSyncState.InSync } s && s.Version > second, "in sync with the repaired file");
        Assert.That(ConfigValue(rig, 0), Is.EqualTo(180));
        Assert.That(rig.Sync.LastError, Is.Null);
    }

    [Test]
    public async Task A_conflicting_change_from_another_client_during_a_reconcile_is_resolved()
    {
        DeviceRig rig = Track(await DeviceRig.StartAsync(kind, Logs));
        await rig.WaitUntilReadyAsync();
        uint start = rig.Entry.ConfigSync.Version;

        // Another client's CONFIG_SET lands between the registry's CONFIG_GET and its CONFIG_SET. The request log's
        // condition runs on the device while it finishes the registry's CONFIG_GET, and the device handles one request
        // per link at a time, so the change is in place before the registry's CONFIG_SET is handled.
        int injected = 0;
        Task<SimRequestRecord> configGet = rig.Sim.Requests.WaitForAsync(
            r =>
            {
                if (r.Command != McpCommand.ConfigGet || r.Body.Span[0] != 3 || Interlocked.Exchange(ref injected, 1) != 0)
                {
                    return false;
                }

                rig.Sim.Device.SetConfigAsync(3, [new ConfigEntry(0, 4242)]).GetAwaiter().GetResult();
                return true;
            },
            includeHistory: false);

        await rig.WriteDesiredAsync("""{ "gw-e2e": { "3": { "0": 160 } } }""");
        await configGet.Within();
        await rig.UntilAsync(() => rig.Entry.ConfigSync is { State: ConfigSyncState.InSync } s && s.Version > start + 1, "in sync after the conflict");

        ConfigSyncStatus status = rig.Entry.ConfigSync;
        IReadOnlyList<SimRequestRecord> requests = rig.Sim.Requests.Snapshot();
        Assert.Multiple(() =>
        {
            Assert.That(status.Conflicts, Is.GreaterThanOrEqualTo(1));
            Assert.That(status.Error, Is.Null);
            Assert.That(requests.Count(r => r.Command == McpCommand.ConfigSet && r.Status == McpStatus.VersionConflict), Is.EqualTo(1));
            Assert.That(ConfigValue(rig, 0), Is.EqualTo(160), "the desired value won");
            Assert.That(rig.Sim.Device.GetConfig(3).Version, Is.EqualTo(start + 2), "the other client's change, then the registry's");
            Assert.That(status.Versions[3], Is.EqualTo(start + 2));
        });
    }
}
