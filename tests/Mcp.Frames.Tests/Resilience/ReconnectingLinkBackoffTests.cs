using Mcp.Frames.Connections;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>How the link waits between attempts (<see cref="BackoffPolicy"/>) and when it gives up.</summary>
public class ReconnectingLinkBackoffTests : ReconnectingLinkTest
{
    [Test]
    public async Task Each_wait_is_the_policy_cap_for_its_step_and_no_attempt_starts_before_it_is_over()
    {
        var connector = CreateConnector(refusals: 7);
        ReconnectingLink link = CreateLink(connector, new BackoffPolicy { Initial = Ms(100), Maximum = Ms(3000), Multiplier = 2 });
        var log = new LinkStateLog(link);
        link.Start();
        double[] caps = [100, 200, 400, 800, 1600, 3000, 3000];

        LinkStateChange first = await log.NextAsync();
        Assert.That((first.Current, first.Attempt), Is.EqualTo((LinkState.Connecting, 1)));
        for (int i = 0; i < caps.Length; i++)
        {
            int failed = i + 1;
            LinkStateChange wait = await log.NextAsync();
            TimeSpan delay = Ms(caps[i]);
            Assert.Multiple(() =>
            {
                // The jitter source sits at the top of its range, so each wait is the whole cap.
                Assert.That(wait.Delay, Is.EqualTo(delay), $"wait after {failed} failed attempts");
                Assert.That(wait.Attempt, Is.EqualTo(failed + 1), "the wait belongs to the attempt it comes before");
                Assert.That(wait.Reason, Does.Contain($"cap {caps[i]} ms"));
                Assert.That(connector.Attempts, Is.EqualTo(failed));
            });

            // The timer must exist before the clock moves, or the advance would do nothing.
            await Clock.WaitForArmedAsync(delay, caps.Take(failed).Count(c => c == caps[i]));
            Clock.Advance(delay - TimeSpan.FromTicks(1));
            Assert.That(connector.Attempts, Is.EqualTo(failed), $"no attempt one tick before the wait of {caps[i]} ms is over");
            Clock.Advance(TimeSpan.FromTicks(1));

            LinkStateChange attempt = await log.NextAsync();
            Assert.That((attempt.Current, attempt.Attempt, attempt.Delay), Is.EqualTo((LinkState.Reconnecting, failed + 1, (TimeSpan?)null)));
        }

        await log.NextAsync(LinkState.Connected);
        Assert.That(connector.Attempts, Is.EqualTo(caps.Length + 1));
        Assert.That(link.Current, Is.Not.Null);
    }

    [Test]
    public async Task A_connection_that_stayed_up_for_ResetAfter_starts_the_backoff_over()
    {
        LinkStateChange wait = await FirstWaitAfterALossAsync(upFor: TimeSpan.FromSeconds(10));
        Assert.That((wait.Attempt, wait.Delay), Is.EqualTo((1, (TimeSpan?)Ms(100))));
        Assert.That(wait.Reason, Does.Contain("cap 100 ms"));
    }

    [Test]
    public async Task A_connection_lost_before_ResetAfter_keeps_the_backoff_growing()
    {
        // Two failed attempts (waits 100 and 200 ms) and then a connection that dies young: the next step is the third.
        LinkStateChange wait = await FirstWaitAfterALossAsync(upFor: TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.That((wait.Attempt, wait.Delay), Is.EqualTo((1, (TimeSpan?)Ms(400))));
        Assert.That(wait.Reason, Does.Contain("cap 400 ms"));
    }

    [Test]
    public async Task After_a_lost_connection_MaxAttempts_failed_attempts_are_made_before_the_link_gives_up()
    {
        // Two refusals, then a connection (attempt 3 of 3: not given up), then a loss and refusals only.
        var connector = CreateConnector(refusals: 2);
        ReconnectingLink link = CreateLink(connector, new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero, MaxAttempts = 3 });
        var log = new LinkStateLog(link);
        link.Start();
        await log.NextAsync(LinkState.Connected);
        Assert.That(connector.Attempts, Is.EqualTo(3));

        connector.Refusing = true;
        int before = log.All.Count;
        ((InMemoryTransport)connector.LastDevice.Transport).Break();
        LinkStateChange faulted = await log.NextAsync(LinkState.Faulted);

        Assert.That(connector.Attempts, Is.EqualTo(3 + 3), "three failed reconnect attempts");
        int[] tries = [.. log.All.Skip(before).Where(c => c.Reason.StartsWith("connecting", StringComparison.Ordinal)).Select(c => c.Attempt)];
        Assert.That(tries, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(faulted.Attempt, Is.EqualTo(3));
        Assert.That(faulted.Reason, Does.Contain("gave up").And.Contain("after 3 failed attempts").And.Contain("connection refused"));
        Assert.That(link.State, Is.EqualTo(LinkState.Faulted));
    }

    [Test]
    public async Task A_link_that_cannot_connect_logs_the_reason_once_and_that_it_connected_in_the_end()
    {
        var connector = CreateConnector(refusals: 5);
        ReconnectingLink link = CreateLink(connector, new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero });
        var log = new LinkStateLog(link);
        link.Start();
        await log.NextAsync(LinkState.Connected);

        string[] failed = [.. Logs.Entries.Where(e => e.EventId.Id == 105).Select(e => e.Message)];
        string[] connected = [.. Logs.Entries.Where(e => e.EventId.Id == 106).Select(e => e.Message)];
        Assert.Multiple(() =>
        {
            Assert.That(connector.Attempts, Is.EqualTo(6));
            Assert.That(failed, Has.Length.EqualTo(1), "five refusals for the same reason: one warning");
            Assert.That(failed[0], Does.Contain("cannot connect: devices: connection refused"));
            Assert.That(connected, Has.Length.EqualTo(1));
            Assert.That(connected[0], Does.Contain("connected after 5 failed attempts"));
        });
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    /// <summary>Fails twice, connects, stays up for <paramref name="upFor"/>, loses the link: the wait that follows.</summary>
    private async Task<LinkStateChange> FirstWaitAfterALossAsync(TimeSpan upFor)
    {
        var connector = CreateConnector(refusals: 2);
        ReconnectingLink link = CreateLink(connector, new BackoffPolicy { Initial = Ms(100), Maximum = TimeSpan.FromSeconds(30), ResetAfter = TimeSpan.FromSeconds(10) });
        var log = new LinkStateLog(link);
        link.Start();
        foreach (TimeSpan delay in new[] { Ms(100), Ms(200) })
        {
            Assert.That((await log.NextWaitAsync()).Delay, Is.EqualTo(delay));
            await Clock.WaitForArmedAsync(delay);
            Clock.Advance(delay);
        }

        await log.NextAsync(LinkState.Connected);
        Clock.Advance(upFor);
        ((InMemoryTransport)connector.LastDevice.Transport).Break();
        LinkStateChange lost = await log.NextAsync();
        Assert.That((lost.Previous, lost.Current, lost.Attempt), Is.EqualTo((LinkState.Connected, LinkState.Reconnecting, 1)));
        return await log.NextWaitAsync();
    }
}
