using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>PROTOCOL.md §2.3 PING: the heartbeat; a link silent for interval × missed limit is dead.</summary>
public class HeartbeatTests : ConnectionTestBase
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    [Test]
    public async Task A_silent_peer_ends_the_link_with_HeartbeatLost_after_interval_times_missed_limit()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o =>
        {
            o.HeartbeatInterval = Interval;
            o.HeartbeatMissedLimit = 3;
        });
        Task<Response> waiter = gateway.SendRequestAsync(0x55, new byte[] { 1 }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask();
        Assert.That((await device.ReadFrameAsync()).Command, Is.EqualTo(0x55));

        Clock.Advance(Interval);
        RawFrame ping1 = await NextPingAsync(device);
        Clock.Advance(Interval);
        RawFrame ping2 = await NextPingAsync(device);
        Assert.That(gateway.IsOpen, Is.True, "two intervals of silence are not yet three");
        Clock.Advance(Interval);

        ConnectionClosedInfo info = await gateway.Completion.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(info.Reason, Is.EqualTo(ConnectionCloseReason.HeartbeatLost));
            Assert.That(info.Message, Does.Contain("heartbeat lost").And.Contain("gw").And.Contain("3000 ms"));
            Assert.That(ping1.Seq, Is.Not.EqualTo(ping2.Seq));
        });
        ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiter.WaitAsync(Bound))!;
        Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.HeartbeatLost));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(1001)]
    public void A_missed_limit_outside_2_to_1000_is_refused_naming_the_option(int limit)
    {
        var options = new FrameConnectionOptions { HeartbeatInterval = Interval, HeartbeatMissedLimit = limit };

        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate)!;

        Assert.Multiple(() =>
        {
            Assert.That(error.ParamName, Is.EqualTo(nameof(FrameConnectionOptions.HeartbeatMissedLimit)));
            Assert.That(error.Message, Does.Contain("between 2 and 1000").And.Contain($"{limit} was given"));
        });
    }

    [Test]
    public async Task The_heartbeat_keeps_a_quiet_but_answering_link_alive()
    {
        ConnectedPair pair = CreatePair(gateway: o =>
        {
            o.HeartbeatInterval = Interval;
            o.HeartbeatMissedLimit = 2;
        });
        const int PingAnswerBytes = 5 + 2; // PING response: seq, status, empty echo

        for (int i = 1; i <= 10; i++)
        {
            Clock.Advance(Interval);
            await pair.GatewayEnd.ObservedInput.WaitForConsumedAsync(i * PingAnswerBytes);
            Assert.That(pair.Gateway.IsOpen, Is.True, $"alive after {i} intervals");
        }

        Assert.That(pair.Gateway.Statistics.RequestsSent, Is.EqualTo(10), "one heartbeat per interval");
        Assert.That(pair.Gateway.ReceiverCounters.Delivered, Is.EqualTo(10), "each answered");

        // When the device stops answering, the link dies after the missed limit.
        pair.Device.MapRequestHandler(McpCommand.Ping, (request, ct) => new ValueTask(Task.Delay(Timeout.Infinite, ct)));
        Clock.Advance(Interval);
        await Clock.WaitForArmedAsync(Interval, 12); // the next PING's timeout is running
        Clock.Advance(Interval);
        Assert.That((await pair.Gateway.Completion.WaitAsync(Bound)).Reason, Is.EqualTo(ConnectionCloseReason.HeartbeatLost));
    }

    [Test]
    public async Task A_PING_from_the_peer_is_answered_with_its_echo()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        await device.SendAsync(McpCommand.Ping, 42, 1, 2, 3, 4);
        RawFrame answer = await device.ReadFrameAsync();

        // The handler task counts the request once its reply has gone out: the answer can arrive a moment before.
        await Bounded.UntilAsync(() => gateway.Statistics.InboundRequestsHandled >= 1, "the PING is counted as handled");
        Assert.Multiple(() =>
        {
            Assert.That(answer.Command, Is.EqualTo(McpCommand.Ping | 0x80));
            Assert.That(answer.Payload, Is.EqualTo(new byte[] { 42, (byte)McpStatus.Ok, 1, 2, 3, 4 }));
            Assert.That(gateway.Statistics.InboundRequestsHandled, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Any_received_frame_counts_as_life_not_only_the_heartbeat_answer()
    {
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateWithRawDevice(o =>
        {
            o.HeartbeatInterval = Interval;
            o.HeartbeatMissedLimit = 2;
        });
        long consumed = 0;
        for (int i = 0; i < 5; i++)
        {
            Clock.Advance(Interval);
            await NextPingAsync(device); // never answered...
            await device.SendAsync(McpCommand.Event, 1, 0, 0, 0, 0, 0, 0); // ...but the device publishes
            consumed += 5 + 7;
            await end.ObservedInput.WaitForConsumedAsync(consumed);
        }

        Assert.That(gateway.IsOpen, Is.True);
    }

    private static async Task<RawFrame> NextPingAsync(RawPeer device)
    {
        RawFrame frame = await device.ReadFrameAsync();
        Assert.That(frame.Command, Is.EqualTo(McpCommand.Ping));
        return frame;
    }
    [Test]
    public void A_connection_whose_peer_hung_up_while_it_started_keeps_no_heartbeat_timer()
    {
        var clock = new TimerRecordingClock();
        (TestDuplexPipe a, TestDuplexPipe b) = TestDuplexPipe.CreatePair();
        b.Output.Complete(); // the peer hangs up at once
        var gateway = Track(new FrameConnection(a, options: new FrameConnectionOptions { Name = "gw", TimeProvider = clock, LoggerFactory = Logs, HeartbeatInterval = Interval }));
        clock.BeforePeriodicTimer = () => gateway.Completion.Wait(Bound); // the read loop ends the link before Start makes the timer

        gateway.Start();

        Assert.Multiple(() =>
        {
            Assert.That(gateway.Completion.IsCompleted, Is.True);
            Assert.That(clock.PeriodicTimers, Has.Count.EqualTo(1));
            Assert.That(clock.PeriodicTimers[0].Disposed, Is.True, "a heartbeat timer left running would tick forever and keep the ended connection alive");
        });
    }

    /// <summary>A fake clock that records its periodic timers and can run code just before one is made.</summary>
    private sealed class TimerRecordingClock : Microsoft.Extensions.Time.Testing.FakeTimeProvider
    {
        public Action? BeforePeriodicTimer { get; set; }

        public List<RecordingTimer> PeriodicTimers { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (period == Timeout.InfiniteTimeSpan)
            {
                return base.CreateTimer(callback, state, dueTime, period);
            }

            BeforePeriodicTimer?.Invoke();
            var timer = new RecordingTimer(base.CreateTimer(callback, state, dueTime, period));
            PeriodicTimers.Add(timer);
            return timer;
        }
    }

    private sealed class RecordingTimer(ITimer inner) : ITimer
    {
        public bool Disposed { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            Disposed = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return inner.DisposeAsync();
        }
    }
}
