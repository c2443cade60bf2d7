using System.Collections.Concurrent;
using Mcp.Frames.Connections;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>The link's states (<see cref="LinkState"/>), as watched and as raised, and what callers get while it changes.</summary>
public class ReconnectingLinkStateTests : ReconnectingLinkTest
{
    private static readonly BackoffPolicy NoWait = new() { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero };

    [Test]
    public async Task Start_a_loss_a_reconnect_and_stop_go_through_the_documented_states_and_the_watch_ends()
    {
        var connector = CreateConnector(refusals: 0);
        ReconnectingLink link = CreateLink(connector, NoWait);
        var log = new LinkStateLog(link);
        var raised = new ConcurrentQueue<LinkStateChange>();
        link.StateChanged += (_, c) => raised.Enqueue(c);
        link.Start();
        await log.NextAsync(LinkState.Connected);
        ((InMemoryTransport)connector.LastDevice.Transport).Break();
        await log.NextAsync(LinkState.Connected);
        await link.StopAsync();
        await log.Ended.Within();

        // LinkState's docs: Connecting is the first attempt only; a loss, each wait and each attempt after it are Reconnecting.
        Assert.That(log.All.Select(c => (c.Previous, c.Current)), Is.EqualTo(new[]
        {
            (LinkState.Disconnected, LinkState.Connecting),
            (LinkState.Connecting, LinkState.Connected),
            (LinkState.Connected, LinkState.Reconnecting),    // the loss
            (LinkState.Reconnecting, LinkState.Reconnecting), // the wait (0 ms here)
            (LinkState.Reconnecting, LinkState.Reconnecting), // attempt 1 after the loss
            (LinkState.Reconnecting, LinkState.Connected),
            (LinkState.Connected, LinkState.Stopped),
        }));
        Assert.That(log.All.Select(c => c.Delay), Is.EqualTo(new TimeSpan?[] { null, null, null, TimeSpan.Zero, null, null, null }));
        Assert.That(raised, Is.EqualTo(log.All), "StateChanged raises the same changes");
        Assert.That(link.State, Is.EqualTo(LinkState.Stopped));
        Assert.That(await Watch(link), Is.Empty, "a watch started after Stopped ends at once");
    }

    [Test]
    public async Task Reaching_the_attempt_limit_ends_in_Faulted_and_the_watch_ends()
    {
        var connector = CreateConnector(refusals: int.MaxValue);
        ReconnectingLink link = CreateLink(connector, new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero, MaxAttempts = 2 });
        var log = new LinkStateLog(link);
        link.Start();
        await log.Ended.Within();

        Assert.That(log.All.Select(c => (c.Previous, c.Current, c.Attempt)), Is.EqualTo(new[]
        {
            (LinkState.Disconnected, LinkState.Connecting, 1),
            (LinkState.Connecting, LinkState.Reconnecting, 2),   // the wait before attempt 2
            (LinkState.Reconnecting, LinkState.Reconnecting, 2), // attempt 2
            (LinkState.Reconnecting, LinkState.Faulted, 2),
        }));
        Assert.That(link.State, Is.EqualTo(LinkState.Faulted));
        Assert.That(await Watch(link), Is.Empty, "a watch started after Faulted ends at once");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_connection_that_closed_before_the_link_noticed_is_not_handed_out(bool failFast)
    {
        var connector = CreateConnector(refusals: 0);
        var hold = new DeviceConnector.HeldDisposal();
        connector.HoldDisposal = hold;
        ReconnectingLink link = CreateLink(connector, NoWait, failFast);
        Defer(() =>
        {
            hold.Release.TrySetResult();
            return ValueTask.CompletedTask;
        });
        var log = new LinkStateLog(link);
        link.Start();
        await log.NextAsync(LinkState.Connected);
        FrameConnection first = link.Current!;
        connector.HoldDisposal = null;

        // The connection is closed, but its transport is still being released: Completion, which the link waits for,
        // has not completed, so the link still counts it as its connection.
        ((InMemoryTransport)connector.LastDevice.Transport).Break();
        await hold.Started.Task.Within();
        Assert.That(first.IsOpen, Is.False);
        Assert.That(first.Completion.IsCompleted, Is.False);

        if (failFast)
        {
            var down = Assert.ThrowsAsync<ConnectionClosedException>(async () => await link.GetConnectionAsync());
            Assert.That(down!.Message, Does.Contain("is down"));
            hold.Release.TrySetResult();
            return;
        }

        Task<FrameConnection> next = link.GetConnectionAsync(Bound).AsTask();
        Assert.That(next.IsCompleted, Is.False, "waits for the next connection");
        hold.Release.TrySetResult();
        FrameConnection second = await next.Within();
        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(second.IsOpen, Is.True);
    }

    private static async Task<List<LinkStateChange>> Watch(ReconnectingLink link)
    {
        var changes = new List<LinkStateChange>();
        using CancellationTokenSource deadline = Bounded.Deadline();
        await foreach (LinkStateChange change in link.WatchAsync(deadline.Token))
        {
            changes.Add(change);
        }

        return changes;
    }
}
