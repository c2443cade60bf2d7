using System.Collections.Concurrent;
using System.Threading.Channels;
using Mcp.Frames.Devices;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Tests.Resilience;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Devices;

public class DeviceRegistryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>Each connect makes a new in-memory link to a new <see cref="MiniDevice"/> with the next boot id.</summary>
    private sealed class DeviceFactory(TimeProvider time, Action<MiniDevice>? setup = null, string deviceId = "mini") : ITransportConnector
    {
        private uint _boot = 100;

        /// <summary>Applied to each new device before it serves.</summary>
        public Action<MiniDevice>? Setup { get; set; } = setup;

        public Channel<MiniDevice> Devices { get; } = Channel.CreateUnbounded<MiniDevice>();

        public string Name => "factory";

        public ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
        {
            (InMemoryTransport client, InMemoryTransport device) = InMemoryTransport.CreatePair("gateway", "device");
            var mini = new MiniDevice(device, Interlocked.Increment(ref _boot), time, deviceId);
            Setup?.Invoke(mini);
            Devices.Writer.TryWrite(mini);
            return new ValueTask<ITransport>(client);
        }
    }

    private static async Task<T> Next<T>(Channel<T> channel) => await channel.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    [Test]
    public async Task Discovers_reports_health_transitions_and_a_reboot()
    {
        var time = new FakeTimeProvider();
        var connector = new DeviceFactory(time);
        await using var registry = new DeviceRegistry(new DeviceRegistryOptions
        {
            TimeProvider = time,
            Health = new DeviceHealthOptions { EvaluationInterval = TimeSpan.FromMilliseconds(100), DegradedAfterSilence = TimeSpan.FromSeconds(1) },
        });
        var discovered = Channel.CreateUnbounded<DeviceEntry>();
        var changes = Channel.CreateUnbounded<DeviceHealthChange>();
        var reboots = Channel.CreateUnbounded<DeviceEntry>();
        registry.DeviceDiscovered += (_, e) => discovered.Writer.TryWrite(e);
        registry.HealthChanged += (_, c) => changes.Writer.TryWrite(c);
        registry.DeviceRebooted += (_, e) => reboots.Writer.TryWrite(e);

        DeviceEntry entry = registry.AddLink(new DeviceLinkOptions
        {
            Connector = connector,
            Session = new McpSessionOptions { Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero } } },
        });
        Assert.That(await Next(discovered), Is.SameAs(entry));
        Assert.That(entry.DeviceId, Is.EqualTo("mini"));
        Assert.That(entry.Identity!.Modules, Has.Count.EqualTo(1));
        MiniDevice device = await Next(connector.Devices);
        await entry.Session.GetClientAsync().WaitAsync(Bound);

        time.Advance(TimeSpan.FromMilliseconds(100));
        DeviceHealthChange healthy = await Next(changes);
        Assert.That((healthy.Previous, healthy.Current), Is.EqualTo((DeviceHealth.Offline, DeviceHealth.Healthy)));

        // Silence: nothing received for longer than the limit.
        time.Advance(TimeSpan.FromMilliseconds(1100));
        DeviceHealthChange degraded = await Next(changes);
        Assert.That(degraded.Current, Is.EqualTo(DeviceHealth.Degraded));
        Assert.That(degraded.Reason, Does.Contain("nothing received for"));

        // The device speaks again.
        await device.Connection.SendOneWayAsync(McpCommand.Event, new EventPayload(9, 0, 0, new[] { 1 }));
        await WaitForSilenceBelow(entry, TimeSpan.FromMilliseconds(1000));
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That((await Next(changes)).Current, Is.EqualTo(DeviceHealth.Healthy));

        // The cable is cut: offline at once; the link comes back to a device that rebooted meanwhile.
        ((InMemoryTransport)device.Transport).Break();
        DeviceHealthChange offline = await Next(changes);
        Assert.That(offline.Current, Is.EqualTo(DeviceHealth.Offline));
        Assert.That(await Next(reboots), Is.SameAs(entry));
        Assert.That(entry.Reboots, Is.EqualTo(1));
        // Healthy again as soon as the link is up, not one evaluation interval later: the clock does not move.
        DeviceHealthChange back = await Next(changes);
        Assert.That((back.Previous, back.Current), Is.EqualTo((DeviceHealth.Offline, DeviceHealth.Healthy)));
        Assert.That(entry.Statistics.Connects, Is.EqualTo(2));
        Assert.That(entry.Statistics.FramesReceived, Is.EqualTo(3), "two HELLO answers and the event, over both connections");
    }

    [Test]
    public async Task A_device_id_with_control_characters_is_kept_as_sent_and_escaped_in_the_log()
    {
        var time = new FakeTimeProvider();
        var logs = new LogCollector();
        await using var registry = new DeviceRegistry(new DeviceRegistryOptions { TimeProvider = time, LoggerFactory = logs });
        var discovered = Channel.CreateUnbounded<DeviceEntry>();
        registry.DeviceDiscovered += (_, e) => discovered.Writer.TryWrite(e);
        Task<LogEntry> logged = logs.WaitForAsync(e => e.Message.Contains("discovered device", StringComparison.Ordinal));

        DeviceEntry entry = registry.AddLink(new DeviceLinkOptions
        {
            Connector = new DeviceFactory(time, deviceId: Connections.PeerTextTests.Forged),
            Session = new McpSessionOptions { Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero } } },
        });
        Assert.That(await Next(discovered), Is.SameAs(entry));

        LogEntry line = await logged;
        Assert.Multiple(() =>
        {
            Assert.That(entry.DeviceId, Is.EqualTo(Connections.PeerTextTests.Forged));
            Assert.That(registry.Find(Connections.PeerTextTests.Forged), Is.SameAs(entry), "found by the id the device sent");
            Assert.That(line.Message.Contains(Connections.PeerTextTests.Escaped, StringComparison.Ordinal), Is.True, line.Message);
            Assert.That(line.Message.Any(char.IsControl), Is.False, line.Message);
        });
    }

    [Test]
    public async Task An_answer_that_matches_no_request_is_counted_in_the_device_statistics()
    {
        var time = new FakeTimeProvider();
        var connector = new DeviceFactory(time);
        await using var registry = new DeviceRegistry(new DeviceRegistryOptions { TimeProvider = time });
        var discovered = Channel.CreateUnbounded<DeviceEntry>();
        registry.DeviceDiscovered += (_, e) => discovered.Writer.TryWrite(e);
        DeviceEntry entry = registry.AddLink(new DeviceLinkOptions
        {
            Connector = connector,
            Session = new McpSessionOptions { Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero } } },
        });
        Assert.That(await Next(discovered), Is.SameAs(entry));
        MiniDevice device = await Next(connector.Devices);

        // A PING answer with a seq nothing was sent with (a device that answers with the wrong seq).
        await device.Connection.SendOneWayAsync((byte)(McpCommand.Ping | 0x80), new byte[] { 77, 0 });

        await Bounded.UntilAsync(() => entry.Statistics.UnmatchedAnswers != 0, "the answer is counted");

        Assert.That(entry.Statistics.UnmatchedAnswers, Is.EqualTo(1));
    }

    [Test]
    public async Task A_malformed_answer_to_the_first_read_of_a_watch_is_logged()
    {
        var time = new FakeTimeProvider();
        var connector = new DeviceFactory(time, mini => mini.MalformedReads = true);
        using var logs = new LogCollector();
        await using var registry = new DeviceRegistry(new DeviceRegistryOptions { TimeProvider = time, LoggerFactory = logs });
        registry.AddLink(new DeviceLinkOptions
        {
            Connector = connector,
            Session = new McpSessionOptions { Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero } } },
            Watches = [new WatchSpec(1, 0)],
        });

        await Bounded.UntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 6 && e.Category.EndsWith("DeviceRegistry", StringComparison.Ordinal)), "the warning is logged");

        LogEntry warning = logs.Entries.First(e => e.EventId.Id == 6 && e.Category.EndsWith("DeviceRegistry", StringComparison.Ordinal));
        Assert.That(warning.Message, Does.Contain("malformed answer").And.Contain("READ response"));
    }

    [Test]
    public async Task Each_watch_reports_whether_it_is_subscribed_refused_or_waiting_for_the_link()
    {
        var time = new FakeTimeProvider();
        var connector = new DeviceFactory(time, mini => mini.RefusedSlot = 9);
        await using var registry = new DeviceRegistry(new DeviceRegistryOptions { TimeProvider = time });
        DeviceEntry entry = registry.AddLink(new DeviceLinkOptions
        {
            Connector = connector,
            // The clock does not move unless the test moves it: after a break the link waits, and the watches with it.
            Session = new McpSessionOptions { Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.FromHours(1), Maximum = TimeSpan.FromHours(1) } } },
            Watches = [new WatchSpec(1, 0), new WatchSpec(9, 4, 2, 50, OnChange: true)],
        });
        MiniDevice device = await Next(connector.Devices);

        await Bounded.UntilAsync(() => States(entry) is [WatchState.Subscribed, WatchState.Refused], "one watch subscribed, one refused");
        IReadOnlyList<WatchStatus> watches = entry.Watches;
        Assert.Multiple(() =>
        {
            Assert.That(watches.Select(w => w.Request), Is.EqualTo(new[] { new WatchSpec(1, 0).ToRequest(), new WatchSpec(9, 4, 2, 50, OnChange: true).ToRequest() }), "in the order given");
            Assert.That(watches[0].Refusal, Is.Null);
            Assert.That(watches[1].Refusal, Is.EqualTo("NO_SUCH_MODULE (0x03): no module in that slot"));
        });

        await device.PublishAsync(5);
        await Bounded.UntilAsync(() => entry.Watches[0].Received == 1, "the event is counted on its watch");
        Assert.That(entry.Watches[1].Received, Is.Zero);

        // The link breaks and waits out its backoff: both watches wait for it (a refusal stands for its connection only).
        ((InMemoryTransport)device.Transport).Break();
        await Bounded.UntilAsync(() => States(entry) is [WatchState.Pending, WatchState.Pending], "both watches wait for the link");
        Assert.That(entry.Watches.Select(w => w.Refusal), Is.EqualTo(new string?[] { null, null }));

        // Back, to a device that now has the module: both are subscribed. The clock is moved until the link has
        // waited out its backoff (a timer armed after a move would wait from the new time).
        connector.Setup = null;
        await Bounded.UntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromHours(1));
                return connector.Devices.Reader.Count > 0;
            },
            "the link connects again");
        await Bounded.UntilAsync(() => States(entry) is [WatchState.Subscribed, WatchState.Subscribed], "both watches subscribed again");
        Assert.That(entry.Watches.Select(w => w.Refusal), Is.EqualTo(new string?[] { null, null }));

        static WatchState[] States(DeviceEntry entry) => [.. entry.Watches.Select(w => w.State)];
    }

    private static async Task WaitForSilenceBelow(DeviceEntry entry, TimeSpan limit)
    {
        // The read loop notes the frame on its own task; wait (bounded) until it has.
        using var cts = new CancellationTokenSource(Bound);
        while (entry.Session.Link.Current!.SilentFor >= limit)
        {
            await Task.Yield();
            cts.Token.ThrowIfCancellationRequested();
        }
    }

    [Test]
    public async Task Keeps_configuration_in_sync_across_reconnects_and_file_edits_and_refuses_a_broken_edit()
    {
        string dir = Directory.CreateTempSubdirectory("mcp-desired-").FullName;
        string file = Path.Combine(dir, "desired.json");
        await File.WriteAllTextAsync(file, """{ "mini": { "1": { "0": 111 } } }""");
        var logs = new ConcurrentQueue<string>();
        using var sync = new ConfigSyncService(file, new ListLogger<ConfigSyncService>(logs), debounce: TimeSpan.FromMilliseconds(20));
        sync.Start();
        var connector = new DeviceFactory(TimeProvider.System);
        await using var registry = new DeviceRegistry(new DeviceRegistryOptions { ConfigSync = sync });
        var syncChanges = Channel.CreateUnbounded<ConfigSyncStatus>();
        registry.ConfigSyncChanged += (_, e) => syncChanges.Writer.TryWrite(e.ConfigSync);
        try
        {
            DeviceEntry entry = registry.AddLink(new DeviceLinkOptions
            {
                Connector = connector,
                Session = new McpSessionOptions { Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(1), Maximum = TimeSpan.FromMilliseconds(5) } } },
            });
            MiniDevice first = await Next(connector.Devices);
            await WaitForState(syncChanges, ConfigSyncState.InSync);
            Assert.That(first.Config[0], Is.EqualTo(111));
            Assert.That(entry.ConfigSync.Version, Is.EqualTo(1u));

            // A valid edit is applied without restart.
            await File.WriteAllTextAsync(file, """{ "mini": { "1": { "0": 111, "2": 222 } } }""");
            await WaitForState(syncChanges, ConfigSyncState.InSync, s => s.Version == 2);
            Assert.That(first.Config[2], Is.EqualTo(222));

            // A broken edit is refused, logged, and the last good configuration stays in force.
            await File.WriteAllTextAsync(file, """{ "mini": { "1": { "0": "lots" } } }""");
            await Bounded.UntilAsync(() => sync.LastError is not null, "the watcher reports the error"); // reported on the watcher's thread
            Assert.That(sync.LastError, Does.Contain("$['mini']['1']['0']"));
            Assert.That(logs, Has.Some.Contains("edit refused"));
            Assert.That(sync.Current.TryGet("mini", out var kept) && kept[1][2] == 222, Is.True);

            // Reconnect to a device that lost its configuration: it is reconciled again.
            ((InMemoryTransport)first.Transport).Break();
            MiniDevice second = await Next(connector.Devices);
            await WaitForState(syncChanges, ConfigSyncState.InSync, _ => second.ConfigVersion > 0);
            Assert.That(second.Config[0], Is.EqualTo(111));
            Assert.That(second.Config[2], Is.EqualTo(222));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task WaitForState(Channel<ConfigSyncStatus> changes, ConfigSyncState state, Func<ConfigSyncStatus, bool>? also = null)
    {
        while (true)
        {
            ConfigSyncStatus status = await Next(changes);
            Assert.That(status.State, Is.Not.EqualTo(ConfigSyncState.Failed), status.Error);
            if (status.State == state && (also is null || also(status)))
            {
                return;
            }
        }
    }
}
