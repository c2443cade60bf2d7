using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>What a session's subscriptions report about the events a reconnect cost them.</summary>
public class ResilientSubscriptionGapTests : GuardedTest
{
    [Test]
    public async Task After_a_reconnect_a_periodic_subscription_reports_the_missed_periods_as_lost_and_an_on_change_one_counts_a_gap()
    {
        var clock = new TestClock();
        var connector = new DeviceConnector(clock);
        Defer(connector.DisposeDevicesAsync);
        McpSession session = Track(TestSessions.Create(connector, clock, Logs));
        session.Start();
        await session.GetClientAsync().Within();

        ResilientSubscription periodic = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        ResilientSubscription onChange = session.Subscribe(new SubscribeRequest(1, 1, 1, 100, SubscribeMode.OnChange));
        await using IAsyncEnumerator<McpEvent> periodicEvents = periodic.ReadAllAsync().GetAsyncEnumerator();
        await using IAsyncEnumerator<McpEvent> onChangeEvents = onChange.ReadAllAsync().GetAsyncEnumerator();
        MiniDevice first = connector.LastDevice;
        await first.WaitForSubscriptionsAsync(2).Within();
        await first.PublishAsync(1);
        Assert.That(await NextLostBeforeAsync(periodicEvents, 1), Is.Zero);
        Assert.That(await NextLostBeforeAsync(onChangeEvents, 1), Is.Zero);

        // The link is down, and the session is back on a new connection, a second after the last event: nine periods
        // of 100 ms passed without one (the tenth is the event that arrives).
        var log = new LinkStateLog(session.Link);
        ((InMemoryTransport)first.Transport).Break();
        await log.NextAsync(LinkState.Connected);
        MiniDevice second = connector.LastDevice;
        Assert.That(second, Is.Not.SameAs(first));
        await second.WaitForSubscriptionsAsync(2).Within();
        clock.Advance(TimeSpan.FromSeconds(1));
        await second.PublishAsync(2);

        Assert.That(await NextLostBeforeAsync(periodicEvents, 2), Is.EqualTo(9), "reported on the first event after the gap");
        Assert.That(await NextLostBeforeAsync(onChangeEvents, 2), Is.Zero, "an on-change gap has no size");
        Assert.Multiple(() =>
        {
            Assert.That(periodic.LostEvents, Is.EqualTo(9));
            Assert.That(periodic.Gaps, Is.Zero);
            Assert.That(periodic.Resubscriptions, Is.EqualTo(1));
            Assert.That(onChange.LostEvents, Is.Zero);
            Assert.That(onChange.Gaps, Is.EqualTo(1));
            Assert.That(onChange.Resubscriptions, Is.EqualTo(1));
        });

        // The gap is reported once: the next event on time loses nothing.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await second.PublishAsync(3);
        Assert.That(await NextLostBeforeAsync(periodicEvents, 3), Is.Zero);
        Assert.That(await NextLostBeforeAsync(onChangeEvents, 3), Is.Zero);
        Assert.That((periodic.LostEvents, periodic.Received, onChange.Gaps, onChange.Received), Is.EqualTo((9L, 3L, 1, 3L)));
    }

    [Test]
    public async Task The_reconnect_gap_is_counted_even_when_events_of_the_old_connection_are_still_queued()
    {
        var clock = new TestClock();
        var connector = new DeviceConnector(clock);
        Defer(connector.DisposeDevicesAsync);
        McpSession session = Track(TestSessions.Create(connector, clock, Logs));
        session.Start();
        await session.GetClientAsync().Within();
        ResilientSubscription periodic = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        await using IAsyncEnumerator<McpEvent> events = periodic.ReadAllAsync().GetAsyncEnumerator();
        MiniDevice first = connector.LastDevice;
        await first.WaitForSubscriptionsAsync(1).Within();
        await first.PublishAsync(1);
        Assert.That(await NextValueAsync(events), Is.EqualTo(1));

        // Two more events arrive but the reader is behind: they are still queued when the link breaks. (The device's
        // PING is answered only after the gateway's read loop has queued both events.)
        await first.PublishAsync(2);
        await first.PublishAsync(3);
        using (await first.Connection.SendRequestAsync(McpCommand.Ping).AsTask().Within())
        {
        }

        var log = new LinkStateLog(session.Link);
        ((InMemoryTransport)first.Transport).Break();
        await log.NextAsync(LinkState.Connected);
        MiniDevice second = connector.LastDevice;
        await second.WaitForSubscriptionsAsync(1).Within();

        // The reader drains the old connection's queue, then a second passes before the new subscription's first event.
        Assert.That(await NextValueAsync(events), Is.EqualTo(2));
        Assert.That(await NextValueAsync(events), Is.EqualTo(3));
        clock.Advance(TimeSpan.FromSeconds(1));
        await second.PublishAsync(4);
        Assert.That(await NextValueAsync(events), Is.EqualTo(4));

        Assert.That(periodic.Resubscriptions, Is.EqualTo(1));
        Assert.That(events.Current.LostBefore, Is.EqualTo(9), "nine periods of 100 ms passed without an event across the reconnect");
        Assert.That(periodic.LostEvents, Is.EqualTo(9));
    }

    private static async Task<long> NextLostBeforeAsync(IAsyncEnumerator<McpEvent> events, int value)
    {
        Assert.That(await events.MoveNextAsync().Within(), Is.True);
        Assert.That(events.Current[0], Is.EqualTo(value));
        return events.Current.LostBefore;
    }

    private static async Task<int> NextValueAsync(IAsyncEnumerator<McpEvent> events)
    {
        Assert.That(await events.MoveNextAsync().Within(), Is.True);
        return events.Current[0];
    }
}
