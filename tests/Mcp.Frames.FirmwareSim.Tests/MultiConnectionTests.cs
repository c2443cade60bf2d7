using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>Many TCP connections at once: each its own session and subscriptions, all one device.</summary>
public sealed class MultiConnectionTests
{
    private FakeTimeProvider _clock = null!;
    private SimHost _host = null!;
    private LogCollector _log = null!;
    private readonly List<SimClient> _clients = [];

    [SetUp]
    public async Task SetUp()
    {
        _clock = SimHosts.NewClock();
        _log = DeviceLog.WarningsAndErrors();
        _host = await SimHosts.StartAsync(LinkKind.Tcp, _clock, configure: o => o.LoggerFactory = _log).Within();
        for (int i = 0; i < 3; i++)
        {
            _clients.Add(await SimClient.ConnectAsync(_host, LinkKind.Tcp, name: $"client {i}"));
        }
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (SimClient client in _clients)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
        await _host.DisposeAsync().Within();
        _log.Dispose();
        Assert.That(_log.Lines(), Is.Empty, "the device logged no warning or error");
    }

    [Test]
    public async Task Connections_share_one_device_state()
    {
        await Task.WhenAll(_clients.Select(c => c.Mcp.HelloAsync())).Within();
        Assert.That(_host.LinkCount, Is.EqualTo(3));
        Assert.That(_clients.Select(c => c.Mcp.Device!.BootId).Distinct().Count(), Is.EqualTo(1));

        await _clients[0].Mcp.WriteAsync(1, 3, new[] { 1 }).Within();
        await _clients[1].Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, 7)]).Within();

        Assert.That(await _clients[2].Mcp.ReadAsync(1, 3).Within(), Is.EqualTo(new[] { 1 }));
        Assert.That(await _clients[2].Mcp.ReadAsync(3, 0).Within(), Is.EqualTo(new[] { 7 }));
        Assert.That(_host.Requests.Snapshot().Select(r => r.LinkNumber).Distinct().Count(), Is.EqualTo(3), "the log tells the links apart");
    }

    [Test]
    public async Task Concurrent_config_sets_are_serialized_by_version()
    {
        Task<uint>[] attempts = [.. _clients.Select((c, i) => c.Mcp.ConfigSetAsync(3, 0, [new ConfigEntry(0, i)]))];
        int ok = 0;
        int conflicts = 0;
        foreach (Task<uint> attempt in attempts)
        {
            try
            {
                Assert.That(await attempt.Within(), Is.EqualTo(1));
                ok++;
            }
            catch (RemoteStatusException ex) when (ex.Status == (byte)McpStatus.VersionConflict)
            {
                conflicts++;
            }
        }

        Assert.That((ok, conflicts), Is.EqualTo((1, 2)), "exactly one CONFIG_SET based on version 0 wins");
    }

    [Test]
    public async Task Each_connection_has_its_own_subscriptions_and_events()
    {
        await using McpSubscription first = await _clients[0].Mcp.SubscribeAsync(new SubscribeRequest(3, 1, 1, 100, SubscribeMode.Periodic)).Within();
        await using McpSubscription second = await _clients[1].Mcp.SubscribeAsync(new SubscribeRequest(1, 0, 4, 100, SubscribeMode.Periodic)).Within();
        await using IAsyncEnumerator<McpEvent> firstEvents = first.ReadAllAsync().GetAsyncEnumerator();
        await using IAsyncEnumerator<McpEvent> secondEvents = second.ReadAllAsync().GetAsyncEnumerator();
        Assert.That((first.SubscriptionId, second.SubscriptionId), Is.EqualTo(((byte)0, (byte)0)), "subscription ids are per link");

        _clock.Advance(TimeSpan.FromMilliseconds(100));

        Assert.That(await firstEvents.MoveNextAsync().Within(), Is.True);
        Assert.That(await secondEvents.MoveNextAsync().Within(), Is.True);
        Assert.That((firstEvents.Current.ValueCount, secondEvents.Current.ValueCount), Is.EqualTo((1, 4)));
        Assert.That(_clients[2].Connection.Statistics.OneWayReceived, Is.Zero, "the third link subscribed to nothing");

        await _clients[0].DisposeAsync();
        Assert.That(await _clients[1].Mcp.ReadAsync(1, 0).Within(), Is.EqualTo(new[] { 0 }), "the others carry on");
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(await secondEvents.MoveNextAsync().Within(), Is.True);
        Assert.That(secondEvents.Current.EventSeq, Is.EqualTo(1));
    }

    [Test]
    public async Task Reset_from_one_connection_closes_every_TCP_connection()
    {
        await _clients[1].Mcp.ResetAsync().Within();

        foreach (SimClient client in _clients)
        {
            ConnectionClosedInfo closed = await client.Connection.Completion.Within();
            Assert.That(closed.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        }

        await using SimClient again = await SimClient.ConnectAsync(_host, LinkKind.Tcp);
        await again.Mcp.HelloAsync().Within();
        Assert.That(_host.Device.BootCount, Is.EqualTo(2));
    }

    [Test]
    public async Task Disconnect_all_drops_every_link_like_a_cable_pull()
    {
        await Task.WhenAll(_clients.Select(c => c.Mcp.PingAsync())).Within();

        _host.DisconnectAll();

        foreach (SimClient client in _clients)
        {
            await client.Connection.Completion.Within();
        }

        Assert.That(_host.Faults.Counters.Disconnects, Is.EqualTo(3));
        Assert.That(_host.Device.BootCount, Is.EqualTo(1), "a link loss is not a reboot");
    }
}
