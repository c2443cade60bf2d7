using System.Diagnostics;
using System.IO.Pipelines;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Serial;
using Mcp.Frames.Tests.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// The serial transport over real kernel ttys: a socat pseudo-terminal pair, once per backend. A pty ignores the baud
/// rate, so these tests prove the I/O loops, framing and hang-up handling, not line timing.
/// </summary>
[TestFixture(SerialBackend.SystemIoPorts)]
[TestFixture(SerialBackend.NativeTty)]
[NonParallelizable]
[CancelAfter(120_000)]
public class SerialTransportTests(SerialBackend backend) : PtyTransportTest
{
    [Test]
    public async Task Frames_flow_both_ways_between_two_serial_transports()
    {
        await using ITransport a = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        Assert.That(a.Name, Is.EqualTo($"serial {Pty.A}"));
        Assert.That(((SerialTransport)a).Backend, Is.EqualTo(backend));
        Assert.That(a.StallTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(50)), "115200 8N1: 40 characters take 3.5 ms, so the 50 ms floor applies");

        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 200, stream: 1);
        Task<FrameCheck> atA = FrameTraffic.ReadAsync(a.Input, 150, stream: 2);
        await Task.WhenAll(FrameTraffic.WriteAsync(a.Output, 200, stream: 1), FrameTraffic.WriteAsync(b.Output, 150, stream: 2)).WaitAsync(Limit);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 200, "at b");
        TcpTransportTests.AssertClean(await atA.WaitAsync(Limit), 150, "at a");
    }

    [Test]
    public async Task A_port_closed_right_after_it_opened_leaves_nothing_failing_behind()
    {
        // Closing races the receive loop's first reads. With System.IO.Ports a read that starts the port's I/O thread
        // while the stream is being disposed left that thread running on a closed handle, and its task failed
        // unobserved (the guard of this test reports that). Bounded: 400 opens and closes.
        // The close starts 0-300 us after the open (seeded), to land at every point of the first reads.
        var random = new Random(20261207);
        for (int i = 0; i < 400; i++)
        {
            ITransport transport = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
            long until = Stopwatch.GetTimestamp() + (random.Next(300) * Stopwatch.Frequency / 1_000_000);
            while (Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(10);
            }

            await transport.DisposeAsync().AsTask().WaitAsync(Limit);
            if (i % 50 == 49)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        // A port closed 400 times still opens and carries frames.
        await using ITransport a = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 20, stream: 4);
        await FrameTraffic.WriteAsync(a.Output, 20, stream: 4).WaitAsync(Limit);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 20);
    }

    [Test]
    public async Task A_megabyte_of_frames_arrives_intact_and_in_order()
    {
        const int Payload = 256;
        int frames = (1024 * 1024 / (Payload + 5)) + 1; // just over 1 MiB on the wire
        await using ITransport sender = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport receiver = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        Task<FrameCheck> received = FrameTraffic.ReadAsync(receiver.Input, frames, Payload, stream: 9);
        await FrameTraffic.WriteAsync(sender.Output, frames, Payload, stream: 9, framesPerFlush: 32).WaitAsync(Limit);
        FrameCheck check = await received.WaitAsync(Limit);

        TcpTransportTests.AssertClean(check, frames);
        Assert.That(check.Counters.DeliveredBytes, Is.EqualTo((long)frames * (Payload + 5)).Or.EqualTo((long)frames * Payload));
    }

    [Test]
    public async Task A_serial_transport_talks_to_a_plain_file_stream_on_the_other_end()
    {
        await using ITransport a = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using var b = new FileStream(Pty.B, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

        // a → b: frames from the transport read back raw from the tty.
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(PipeReader.Create(b), 50, stream: 3);
        await FrameTraffic.WriteAsync(a.Output, 50, stream: 3);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 50);
    }

    [Test]
    public async Task A_hang_up_is_detected_within_a_second()
    {
        await using ITransport a = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        ValueTask<ReadResult> pending = a.Input.ReadAsync();

        var clock = Stopwatch.StartNew();
        await Pty.KillAsync();
        var error = Assert.ThrowsAsync<TransportException>(async () => await pending.AsTask().WaitAsync(Limit));
        TimeSpan detected = clock.Elapsed;

        Assert.That(detected, Is.LessThan(TimeSpan.FromSeconds(1)), "hang-up seen after " + detected);
        Assert.That(error!.Message, Does.StartWith($"serial {Pty.A}: link down while receiving: "));
        Assert.That(error.Message, Does.Contain("hang-up"));

        // The sending side learns the same reason.
        var writeError = Assert.ThrowsAsync<TransportException>(async () => await a.Output.WriteAsync(new byte[] { 0x5A }).AsTask().WaitAsync(Limit));
        Assert.That(writeError!.Message, Is.EqualTo(error.Message));

        // Closing after a hang-up is bounded, although SerialPort.Close can hang in this state.
        clock.Restart();
        await a.DisposeAsync().AsTask().WaitAsync(Limit);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task The_port_can_be_opened_again_when_the_pty_comes_back()
    {
        SerialTransportConnector connector = Connector(Pty.A);
        ITransport first = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        ValueTask<ReadResult> pending = first.Input.ReadAsync();
        await Pty.KillAsync();
        Assert.ThrowsAsync<TransportException>(async () => await pending.AsTask().WaitAsync(Limit));
        await first.DisposeAsync().AsTask().WaitAsync(Limit);

        await Pty.RestartAsync();

        await using ITransport again = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport peer = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        Task<FrameCheck> atPeer = FrameTraffic.ReadAsync(peer.Input, 100, stream: 4);
        Task<FrameCheck> atAgain = FrameTraffic.ReadAsync(again.Input, 100, stream: 5);
        await Task.WhenAll(FrameTraffic.WriteAsync(again.Output, 100, stream: 4), FrameTraffic.WriteAsync(peer.Output, 100, stream: 5)).WaitAsync(Limit);
        TcpTransportTests.AssertClean(await atPeer.WaitAsync(Limit), 100);
        TcpTransportTests.AssertClean(await atAgain.WaitAsync(Limit), 100);
    }

    [Test]
    public async Task A_session_over_the_pty_reconnects_by_itself_when_the_pty_comes_back_and_its_subscription_delivers_again()
    {
        // The device end: a small MCP/1 device on the pty's other side, made again when the pty comes back.
        await using ITransport firstDeviceLink = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        var firstDevice = new MiniDevice(firstDeviceLink, bootId: 1, TimeProvider.System);
        var wentDown = new TaskCompletionSource<LinkStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        var failedWhileMissing = new TaskCompletionSource<LinkStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var session = new McpSession(Connector(Pty.A), new McpSessionOptions
        {
            Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(20), Maximum = TimeSpan.FromMilliseconds(200) } },
        });
        session.Link.StateChanged += (_, change) =>
        {
            if (change is { Previous: LinkState.Connected, Current: LinkState.Reconnecting })
            {
                wentDown.TrySetResult(change);
            }
            else if (wentDown.Task.IsCompleted && change is { Current: LinkState.Reconnecting, Delay: not null, Error: not null })
            {
                failedWhileMissing.TrySetResult(change); // an attempt to open the missing port failed; backing off
            }
        };
        session.Start();
        await session.GetClientAsync().WaitAsync(Limit);
        ResilientSubscription subscription = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.OnChange));
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();
        await firstDevice.WaitForSubscriptionsAsync(1).WaitAsync(Limit);
        await firstDevice.PublishAsync(1);
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Limit), Is.True);
        Assert.That(events.Current[0], Is.EqualTo(1));

        // The pty goes away (the cable is pulled): the link goes down with the hang-up as its reason, and attempts to
        // open the port fail while it is missing.
        await Pty.KillAsync();
        await firstDevice.DisposeAsync();
        LinkStateChange down = await wentDown.Task.WaitAsync(Limit);
        Assert.That(down.Error, Is.Not.Null, down.Reason);
        Assert.That(down.Error!.ToString(), Does.Contain("hang-up"), down.Reason);
        LinkStateChange missing = await failedWhileMissing.Task.WaitAsync(Limit);
        Assert.That(missing.Error!.Message, Does.Contain(Pty.A), missing.Reason);

        // It comes back: the session reconnects, says HELLO to the new device and subscribes again by itself.
        await Pty.RestartAsync();
        await using ITransport secondDeviceLink = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        await using var secondDevice = new MiniDevice(secondDeviceLink, bootId: 2, TimeProvider.System);
        await secondDevice.WaitForSubscriptionsAsync(1).WaitAsync(Limit);
        await secondDevice.PublishAsync(2);
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Limit), Is.True);

        // The subscription is made again inside the session-open hook, and the link reports Connected when that hook
        // returns: an event can arrive a moment before the state says so.
        await Bounded.UntilAsync(() => session.Link.State == LinkState.Connected, "the link reports Connected after the session opened");
        Assert.Multiple(() =>
        {
            Assert.That(events.Current[0], Is.EqualTo(2));
            Assert.That(session.Device!.BootId, Is.EqualTo(2));
            Assert.That(subscription.Resubscriptions, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Dtr_and_rts_failures_on_a_pty_are_not_fatal()
    {
        var log = new CapturingLogger<SerialTransportConnector>();
        var connector = new SerialTransportConnector(new SerialTransportOptions { PortName = Pty.A, DtrEnable = true, RtsEnable = true, Backend = backend }, log);

        await using ITransport a = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        Assert.That(log.Entries.Select(e => e.Message), Has.Some.Contains("could not set DTR"));
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 10);
        await FrameTraffic.WriteAsync(a.Output, 10);
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 10);
    }

    [Test]
    public async Task Silence_beyond_the_read_timeout_reports_the_link_down()
    {
        var options = new SerialTransportOptions { PortName = Pty.A, ReadTimeout = TimeSpan.FromMilliseconds(200), Backend = backend };
        await using ITransport a = await new SerialTransportConnector(options).ConnectAsync().AsTask().WaitAsync(Limit);

        var error = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(a.Input).WaitAsync(Limit));
        Assert.That(error!.Message, Is.EqualTo($"serial {Pty.A}: link down while receiving: no data for 200 ms (ReadTimeout)"));
    }

    [Test]
    public async Task Bytes_arriving_keep_a_link_with_a_read_timeout_up()
    {
        var options = new SerialTransportOptions { PortName = Pty.A, ReadTimeout = TimeSpan.FromSeconds(1), Backend = backend };
        await using ITransport a = await new SerialTransportConnector(options).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);

        // A frame every 100 ms for two seconds, twice the read timeout: never a second of silence, so the link must
        // stay up throughout. (The timeout leaves a loaded machine room for a late delay or a slow socat.)
        Task<FrameCheck> atA = FrameTraffic.ReadAsync(a.Input, 20, stream: 6);
        for (int i = 0; i < 20; i++)
        {
            await Task.Delay(100);
            await FrameTraffic.WriteAsync(b.Output, 1, stream: 6, first: i);
        }

        TcpTransportTests.AssertClean(await atA.WaitAsync(Limit), 20);
    }

    [Test]
    public async Task A_write_nobody_reads_ends_the_link_after_the_write_timeout()
    {
        var options = new SerialTransportOptions { PortName = Pty.A, WriteTimeout = TimeSpan.FromMilliseconds(300), Backend = backend };
        await using ITransport a = await new SerialTransportConnector(options).ConnectAsync().AsTask().WaitAsync(Limit);

        // Nobody reads b: once its buffers are full socat stops reading a, and then a's buffers fill (about 150 KB).
        var error = Assert.ThrowsAsync<TransportException>(async () => await FrameTraffic.WriteAsync(a.Output, 40_000, framesPerFlush: 64).WaitAsync(Limit));
        Assert.That(error!.Message, Does.StartWith($"serial {Pty.A}: link down while sending: ").And.Contain("300 ms (WriteTimeout)"));

        var readError = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(a.Input).WaitAsync(Limit));
        Assert.That(readError!.Message, Is.EqualTo(error.Message), "the receiving side reports the same failure");
    }

    [Test]
    public async Task Disposing_sends_what_was_written_then_closes_quickly()
    {
        ITransport a = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 40);

        await FrameTraffic.WriteAsync(a.Output, 40);
        var clock = Stopwatch.StartNew();
        await a.DisposeAsync();

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 40);
    }

    [Test]
    public async Task Bytes_still_on_their_way_when_the_transport_is_disposed_arrive()
    {
        // With socat stopped, what a writes stays in a's pty until socat passes it on. Disposing a must leave those
        // bytes there: a TCOFLUSH at close would drop them.
        ITransport a = await Connector(Pty.A).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await Connector(Pty.B).ConnectAsync().AsTask().WaitAsync(Limit);
        Task<FrameCheck> atB = FrameTraffic.ReadAsync(b.Input, 30);

        await Pty.PauseAsync();
        try
        {
            await FrameTraffic.WriteAsync(a.Output, 30);
            await a.DisposeAsync().AsTask().WaitAsync(Limit);
        }
        finally
        {
            await Pty.ResumeAsync();
        }

        TcpTransportTests.AssertClean(await atB.WaitAsync(Limit), 30);
    }

    [Test]
    public void Opening_a_missing_port_fails_with_a_message_naming_it()
    {
        string missing = Path.Combine(Pty.Directory, "no-such-tty");
        var error = Assert.ThrowsAsync<TransportException>(async () => await Connector(missing).ConnectAsync());
        Assert.That(error!.Message, Does.StartWith($"serial {missing}: cannot open: "));
    }

    private SerialTransportConnector Connector(string port) => new(new SerialTransportOptions { PortName = port, Backend = backend });

    [Test]
    public async Task A_reader_that_pauses_while_bytes_keep_coming_is_not_silence()
    {
        const int Total = 4 * 1024 * 1024;
        var options = new SerialTransportOptions { PortName = Pty.A, ReadTimeout = TimeSpan.FromMilliseconds(300), Backend = backend };
        await using ITransport a = await new SerialTransportConnector(options).ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport b = await new SerialTransportConnector(new SerialTransportOptions { PortName = Pty.B, Backend = backend, WriteTimeout = TimeSpan.FromSeconds(20) })
            .ConnectAsync().AsTask().WaitAsync(Limit);

        Task sending = Task.Run(async () =>
        {
            byte[] chunk = new byte[16 * 1024];
            for (int sent = 0; sent < Total; sent += chunk.Length)
            {
                await b.Output.WriteAsync(chunk);
            }
        });

        _ = sending.ContinueWith(t => _ = t.Exception, TaskScheduler.Default); // the test's own task: observed

        // The application is busy for a second and a half (the scenario, not synchronisation): Input fills up.
        await Task.Delay(1500);

        long received = 0;
        while (received < Total)
        {
            ReadResult result = await a.Input.ReadAsync().AsTask().WaitAsync(Limit);
            received += result.Buffer.Length;
            a.Input.AdvanceTo(result.Buffer.End);
            Assert.That(result.IsCompleted, Is.False, "Input ended early");
        }

        await sending.WaitAsync(Limit);
        Assert.That(received, Is.EqualTo(Total));
    }
}
