using System.Buffers.Binary;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>One-way messages go to each subscriber's bounded queue; a slow subscriber never slows the link.</summary>
public class SubscriptionTests : ConnectionTestBase
{
    private const byte Event = McpCommand.Event;

    [Test]
    public async Task A_slow_subscriber_overflows_and_is_counted_while_another_gets_everything_and_requests_stay_answered()
    {
        const int Events = 500;
        ConnectedPair pair = CreatePair();
        using OneWaySubscription slow = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event, Capacity = 4, Overflow = OverflowPolicy.DropOldest });
        using OneWaySubscription fast = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event, Capacity = Events });
        Task<List<int>> fastReader = Task.Run(() => ReadValuesAsync(fast, Events));
        var client = new McpClient(pair.Gateway);

        var pings = new List<Task<TimeSpan>>();
        for (int i = 0; i < Events; i++)
        {
            await pair.Device.SendOneWayAsync(Event, Value(i));
            if (i % 25 == 0)
            {
                pings.Add(client.PingAsync());
            }
        }

        // Requests were answered while the slow subscriber sat on a full queue; no clock moved, so nothing timed out.
        foreach (Task<TimeSpan> ping in pings)
        {
            await ping.WaitAsync(Bound);
        }

        List<int> all = await fastReader.WaitAsync(Bound);
        List<int> kept = await ReadValuesAsync(slow, 4);
        Assert.Multiple(() =>
        {
            Assert.That(all, Is.EqualTo(Enumerable.Range(0, Events)), "the second subscriber received everything, in order");
            Assert.That(kept, Is.EqualTo(Enumerable.Range(Events - 4, 4)), "drop-oldest keeps the newest");
            Assert.That(slow.Dropped, Is.EqualTo(Events - 4));
            Assert.That(slow.Delivered, Is.EqualTo(4));
            Assert.That(fast.Dropped, Is.Zero);
            Assert.That(pair.Gateway.Statistics.EventsDropped, Is.EqualTo(Events - 4));
            Assert.That(pair.Gateway.Statistics.OneWayReceived, Is.EqualTo(Events));
        });
    }

    [Test]
    public async Task Drop_newest_keeps_the_oldest()
    {
        ConnectedPair pair = CreatePair();
        using OneWaySubscription slow = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event, Capacity = 3, Overflow = OverflowPolicy.DropNewest });
        using OneWaySubscription all = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event, Capacity = 100 });
        for (int i = 0; i < 10; i++)
        {
            await pair.Device.SendOneWayAsync(Event, Value(i));
        }

        await ReadValuesAsync(all, 10);
        Assert.That(await ReadValuesAsync(slow, 3), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(slow.Dropped, Is.EqualTo(7));
        Assert.That(pair.Gateway.Statistics.EventsDropped, Is.EqualTo(7));
    }

    [Test]
    public async Task The_first_byte_filter_and_the_command_select_what_a_subscriber_receives()
    {
        ConnectedPair pair = CreatePair();
        using OneWaySubscription one = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event, FirstByte = 1 });
        using OneWaySubscription other = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = 0x41 });
        await pair.Device.SendOneWayAsync(Event, new byte[] { 2, 9 });
        await pair.Device.SendOneWayAsync(Event, new byte[] { 1, 7 });
        await pair.Device.SendOneWayAsync(Event, ReadOnlyMemory<byte>.Empty);
        await pair.Device.SendOneWayAsync(0x41, new byte[] { 5 });

        Assert.That(await other.WaitToReadAsync().AsTask().WaitAsync(Bound), Is.True);
        Assert.That(other.TryRead(out OneWayMessage message), Is.True);
        using (message)
        {
            Assert.That(message.Payload.ToArray(), Is.EqualTo(new byte[] { 5 }));
        }

        Assert.That(one.TryRead(out OneWayMessage mine), Is.True);
        using (mine)
        {
            Assert.That(mine.Payload.ToArray(), Is.EqualTo(new byte[] { 1, 7 }));
        }

        Assert.That(one.TryRead(out _), Is.False);
    }

    [Test]
    public async Task Closing_the_connection_ends_subscriptions_after_their_queued_messages()
    {
        ConnectedPair pair = CreatePair();
        using OneWaySubscription subscription = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event });
        await pair.Device.SendOneWayAsync(Event, Value(1));
        await pair.Device.SendOneWayAsync(Event, Value(2));
        await pair.GatewayEnd.ObservedInput.WaitForConsumedAsync(2 * (5 + 4));
        await pair.Device.CloseAsync();

        Assert.That(await ReadValuesAsync(subscription, 2), Is.EqualTo(new[] { 1, 2 }));
        ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => subscription.WaitToReadAsync().AsTask().WaitAsync(Bound))!;
        Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        Assert.That(subscription.Completion.IsFaulted, Is.True);
    }

    [Test]
    public async Task A_disposed_subscription_ends_and_receives_nothing_more()
    {
        ConnectedPair pair = CreatePair();
        OneWaySubscription gone = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event });
        using OneWaySubscription kept = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event });
        await pair.Device.SendOneWayAsync(Event, Value(1));
        await ReadValuesAsync(kept, 1);
        gone.Dispose();
        await pair.Device.SendOneWayAsync(Event, Value(2));
        await ReadValuesAsync(kept, 1);

        await gone.Completion.WaitAsync(Bound);
        Assert.That(gone.TryRead(out _), Is.False);
        Assert.That(await gone.WaitToReadAsync().AsTask().WaitAsync(Bound), Is.False);
    }

    [Test]
    public async Task A_subscriber_that_blocks_its_thread_does_not_stop_the_read_loop()
    {
        ConnectedPair pair = CreatePair();
        using OneWaySubscription subscription = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = Event });
        using var release = new ManualResetEventSlim(false);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task subscriber = Task.Run(async () =>
        {
            await subscription.WaitToReadAsync();
            blocked.TrySetResult();
            release.Wait(Bound); // if this continuation ran on the read loop, nothing else would be received
        });

        try
        {
            await pair.Device.SendOneWayAsync(Event, Value(1));
            await blocked.Task.WaitAsync(Bound);
            await new McpClient(pair.Gateway).PingAsync().WaitAsync(Bound);
        }
        finally
        {
            release.Set();
        }

        await subscriber.WaitAsync(Bound);
    }

    private static byte[] Value(int i)
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, i);
        return payload;
    }

    private static async Task<List<int>> ReadValuesAsync(OneWaySubscription subscription, int count)
    {
        var values = new List<int>(count);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (values.Count < count && await subscription.WaitToReadAsync(timeout.Token))
        {
            while (values.Count < count && subscription.TryRead(out OneWayMessage message))
            {
                using (message)
                {
                    values.Add(BinaryPrimitives.ReadInt32LittleEndian(message.Payload.Span));
                }
            }
        }

        return values;
    }
}
