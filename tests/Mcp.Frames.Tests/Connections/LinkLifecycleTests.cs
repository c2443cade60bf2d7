using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>Link death, local close and abort: every waiter fails at once with one clear reason; close never hangs.</summary>
public class LinkLifecycleTests : ConnectionTestBase
{
    private const byte Vendor = 0x55;

    [Test]
    public async Task A_transport_error_fails_every_waiter_at_once_with_the_same_reason()
    {
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateWithRawDevice();
        Task<Response>[] waiters = Enumerable.Range(0, 20)
            .Select(i => gateway.SendRequestAsync(Vendor, new[] { (byte)i }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask())
            .ToArray();
        await device.ReadFramesAsync(20);

        end.ObservedInput.Fail(new IOException("cable cut"));

        ConnectionClosedInfo info = await gateway.Completion.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(info.Reason, Is.EqualTo(ConnectionCloseReason.TransportError));
            Assert.That(info.Message, Does.Contain("gw").And.Contain("cable cut"));
            Assert.That(info.Error, Is.TypeOf<IOException>());
            Assert.That(gateway.IsOpen, Is.False);
        });
        foreach (Task<Response> waiter in waiters)
        {
            ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiter.WaitAsync(Bound))!;
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.TransportError));
            Assert.That(error.LinkName, Is.EqualTo("gw"));
            Assert.That(error.Message, Is.EqualTo(info.Message));
        }
    }

    [Test]
    public async Task A_transport_error_fails_a_request_still_waiting_for_a_slot_with_ConnectionClosedException()
    {
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateWithRawDevice(o => o.MaxInFlight = 1);
        var held = new RequestOptions { Timeout = TimeSpan.FromMinutes(1) };
        Task<Response> sent = gateway.SendRequestAsync(Vendor, new byte[] { 1 }, held).AsTask();
        await device.ReadFrameAsync();
        Task<Response> queued = gateway.SendRequestAsync(Vendor, new byte[] { 2 }, held).AsTask();
        Assert.That(queued.IsCompleted, Is.False);

        end.ObservedInput.Fail(new IOException("cable cut"));

        foreach (Task<Response> waiter in new[] { sent, queued })
        {
            ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiter.WaitAsync(Bound))!;
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.TransportError));
            Assert.That(error.Message, Does.Contain("gw").And.Contain("cable cut"));
        }

        Assert.That(device.Queued, Is.Zero, "the queued request never reached the wire");
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1), "nor is it counted as sent, whether or not it took the slot the shutdown freed");
    }

    [Test]
    public async Task A_transport_error_fails_a_request_waiting_for_its_match_key_with_ConnectionClosedException_not_a_timeout()
    {
        // The legacy profile keeps a timed-out command blocked: the next request of it waits for its key, and no
        // request in flight can wake it first when the link ends.
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1), new Mcp.Frames.Profiles.LegacyProfile());
        Task<Response> first = gateway.SendRequestAsync(0x10, new byte[] { 1 }).AsTask();
        await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => first.WaitAsync(Bound));
        Task<Response> waiting = gateway.SendRequestAsync(0x10, new byte[] { 2 }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask();
        Assert.That(waiting.IsCompleted, Is.False);

        end.ObservedInput.Fail(new IOException("cable cut"));

        ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiting.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.TransportError));
            Assert.That(error.Message, Does.Contain("gw").And.Contain("cable cut"));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1), "it was never sent");
        });
    }

    [Test]
    public async Task The_peer_ending_the_stream_fails_every_waiter_with_RemoteClosed()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        Task<Response>[] waiters = Enumerable.Range(0, 20)
            .Select(i => gateway.SendRequestAsync(Vendor, new[] { (byte)i }).AsTask())
            .ToArray();
        await device.ReadFramesAsync(20);

        await device.CompleteOutputAsync();

        ConnectionClosedInfo info = await gateway.Completion.WaitAsync(Bound);
        Assert.That(info.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        Assert.That(info.Message, Does.Contain("gw"));
        foreach (Task<Response> waiter in waiters)
        {
            ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiter.WaitAsync(Bound))!;
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        }
    }

    [Test]
    public async Task After_close_every_operation_fails_with_ConnectionClosedException_and_close_is_idempotent()
    {
        ConnectedPair pair = CreatePair();
        await pair.Gateway.CloseAsync().AsTask().WaitAsync(Bound);
        await pair.Gateway.CloseAsync().AsTask().WaitAsync(Bound);

        ConnectionClosedInfo info = await pair.Gateway.Completion.WaitAsync(Bound);
        Assert.That(info.Reason, Is.EqualTo(ConnectionCloseReason.ClosedLocally));
        ConnectionClosedException request = Assert.ThrowsAsync<ConnectionClosedException>(() => pair.Gateway.SendRequestAsync(Vendor).AsTask())!;
        Assert.That(request.Reason, Is.EqualTo(ConnectionCloseReason.ClosedLocally));
        Assert.ThrowsAsync<ConnectionClosedException>(() => pair.Gateway.SendOneWayAsync(McpCommand.Event, new byte[] { 1 }).AsTask());
        Assert.Throws<ConnectionClosedException>(() => pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = McpCommand.Event }));

        // The peer sees the end of the stream.
        ConnectionClosedInfo peer = await pair.Device.Completion.WaitAsync(Bound);
        Assert.That(peer.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
    }

    [Test]
    public async Task Abort_ends_the_connection_with_its_reason()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        Task<Response> waiter = gateway.SendRequestAsync(Vendor).AsTask();
        await device.ReadFrameAsync();

        gateway.Abort("operator request");

        ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiter.WaitAsync(Bound))!;
        Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.Aborted));
        Assert.That(error.Message, Does.Contain("operator request").And.Contain("gw"));
        Assert.That((await gateway.Completion.WaitAsync(Bound)).Reason, Is.EqualTo(ConnectionCloseReason.Aborted));
    }

    [Test]
    public void Using_a_connection_before_Start_or_starting_it_twice_is_an_InvalidOperationException()
    {
        (TestDuplexPipe a, _) = TestDuplexPipe.CreatePair();
        FrameConnection connection = Track(new FrameConnection(a, options: Options("early")));
        Assert.ThrowsAsync<InvalidOperationException>(() => connection.SendRequestAsync(Vendor).AsTask());
        connection.Start();
        Assert.Throws<InvalidOperationException>(connection.Start);
    }

    [Test]
    public async Task Close_does_not_hang_while_a_writer_is_stuck_on_a_peer_that_stopped_reading()
    {
        // Nobody reads the gateway's output: its flush waits on back-pressure forever.
        var options = new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32);
        (TestDuplexPipe a, _) = TestDuplexPipe.CreatePair(options);
        FrameConnection gateway = Track(new FrameConnection(a, options: Options("gw")));
        gateway.Start();

        var sends = new List<Task>();
        for (int i = 0; i < 20; i++)
        {
            sends.Add(gateway.SendOneWayAsync(McpCommand.Event, new byte[40]).AsTask());
        }

        Task<Response> request = gateway.SendRequestAsync(Vendor, new byte[] { 1 }).AsTask();
        Assert.That(sends.Count(s => !s.IsCompleted), Is.GreaterThan(1), "writers are stuck and queued");

        await gateway.CloseAsync().AsTask().WaitAsync(Bound);

        int closed = 0;
        foreach (Task send in sends.Where(s => !s.IsCompletedSuccessfully))
        {
            Assert.ThrowsAsync<ConnectionClosedException>(() => send.WaitAsync(Bound));
            closed++;
        }

        Assert.That(closed, Is.GreaterThan(1));
        Assert.ThrowsAsync<ConnectionClosedException>(() => request.WaitAsync(Bound));
    }

    [Test]
    public async Task Close_does_not_wait_for_a_handler_that_ignores_cancellation()
    {
        ConnectedPair pair = CreatePair();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Device.MapRequestHandler(Vendor, async (request, ct) =>
        {
            entered.TrySetResult();
            await never.Task; // ignores ct
        });
        Task<Response> call = pair.Gateway.SendRequestAsync(Vendor).AsTask();
        await entered.Task.WaitAsync(Bound);

        await pair.Device.CloseAsync().AsTask().WaitAsync(Bound);
        Assert.ThrowsAsync<ConnectionClosedException>(() => call.WaitAsync(Bound));
        never.TrySetResult();
    }

    [Test]
    public async Task A_handler_cancellation_callback_that_throws_does_not_stop_the_link_from_failing_its_waiters()
    {
        ConnectedPair pair = CreatePair();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Device.MapRequestHandler(Vendor, async (request, ct) =>
        {
            ct.Register(() => throw new InvalidOperationException("a user's cancellation callback failed"));
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var gatewayEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Gateway.MapRequestHandler(0x56, async (request, ct) =>
        {
            gatewayEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });

        Task<Response> gatewayCall = pair.Gateway.SendRequestAsync(Vendor).AsTask();
        Task<Response> deviceCall = pair.Device.SendRequestAsync(0x56, new byte[] { 7 }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask();
        await entered.Task.WaitAsync(Bound);
        await gatewayEntered.Task.WaitAsync(Bound);

        // The device's link ends; its shutdown cancels the handler, whose callback throws.
        pair.DeviceEnd.ObservedInput.End();

        ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => deviceCall.WaitAsync(Bound))!;
        Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        Assert.That((await pair.Device.Completion.WaitAsync(Bound)).Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        await pair.Gateway.CloseAsync().AsTask().WaitAsync(Bound);
        Assert.ThrowsAsync<ConnectionClosedException>(() => gatewayCall.WaitAsync(Bound));
    }

    [Test]
    public async Task A_slow_handler_cancellation_callback_does_not_run_on_the_read_loop_or_delay_failing_the_waiters()
    {
        ConnectedPair pair = CreatePair();
        using var release = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Device.MapRequestHandler(Vendor, async (request, ct) =>
        {
            ct.Register(() => release.Wait(Bound));
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        pair.Gateway.MapRequestHandler(0x56, (request, ct) => new ValueTask(Task.Delay(Timeout.Infinite, ct)));

        Task<Response> gatewayCall = pair.Gateway.SendRequestAsync(Vendor).AsTask();
        Task<Response> deviceCall = pair.Device.SendRequestAsync(0x56, new byte[] { 7 }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask();
        await entered.Task.WaitAsync(Bound);
        await pair.GatewayEnd.ObservedInput.WaitForConsumedAsync(6); // the gateway has the device's request

        try
        {
            pair.DeviceEnd.ObservedInput.End();
            Assert.ThrowsAsync<ConnectionClosedException>(() => deviceCall.WaitAsync(TimeSpan.FromSeconds(5)));
            Assert.That((await pair.Device.Completion.WaitAsync(TimeSpan.FromSeconds(5))).Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        }
        finally
        {
            release.Set();
        }

        await pair.Gateway.CloseAsync().AsTask().WaitAsync(Bound);
        Assert.ThrowsAsync<ConnectionClosedException>(() => gatewayCall.WaitAsync(Bound));
    }

    [Test]
    public async Task Frames_sent_before_close_reach_the_peer_before_the_end_of_the_stream()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        for (int i = 0; i < 10; i++)
        {
            await gateway.SendOneWayAsync(McpCommand.Event, new[] { (byte)i });
        }

        await gateway.CloseAsync().AsTask().WaitAsync(Bound);
        List<RawFrame> frames = await device.ReadFramesAsync(10);
        Assert.That(frames.Select(f => f.Payload[0]), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (byte)i)));
    }

    [Test]
    public void A_profile_whose_headers_the_connection_cannot_hold_is_refused_at_construction()
    {
        (TestDuplexPipe a, _) = TestDuplexPipe.CreatePair();
        var wide = new HeaderLengthProfile(requestHeader: 5, responseHeader: 2);
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new FrameConnection(a, wide, Options("gw")))!;
        Assert.That(error.Message, Does.Contain("RequestHeaderLength").And.Contain("5"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new FrameConnection(a, new HeaderLengthProfile(1, 9), Options("gw")));
    }

    private sealed class HeaderLengthProfile(int requestHeader, int responseHeader) : Mcp.Frames.Profiles.IMessageProfile
    {
        private static readonly Mcp.Frames.Profiles.IMessageProfile Inner = Mcp.Frames.Profiles.Mcp1Profile.Instance;

        public string Name => "wide";

        public int RequestHeaderLength => requestHeader;

        public int ResponseHeaderLength => responseHeader;

        public bool HasStatus => true;

        public byte OkStatus => 0;

        public byte UnknownCommandStatus => 1;

        public byte BusyStatus => 6;

        public byte InternalErrorStatus => 8;

        public byte BadRequestStatus => 2;

        public byte? HeartbeatCommand => null;

        public Mcp.Frames.Profiles.FrameKind Classify(byte command, ReadOnlySpan<byte> payload) => Inner.Classify(command, payload);

        public byte GetResponseCommand(byte requestCommand) => Inner.GetResponseCommand(requestCommand);

        public int ReadResponseHeader(ReadOnlySpan<byte> payload, out byte status) => Inner.ReadResponseHeader(payload, out status);

        public void WriteResponseHeader(Span<byte> destination, ReadOnlySpan<byte> requestHeader, byte status) => Inner.WriteResponseHeader(destination, requestHeader, status);

        public string DescribeStatus(byte status) => Inner.DescribeStatus(status);

        public Mcp.Frames.Profiles.IRequestMatcher CreateMatcher(TimeProvider timeProvider) => Inner.CreateMatcher(timeProvider);
    }
    [Test]
    public async Task A_handler_cancellation_callback_that_blocks_does_not_delay_failing_a_request_waiting_for_its_key()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1), new Mcp.Frames.Profiles.LegacyProfile());
        Task<Response> first = gateway.SendRequestAsync(0x10, new byte[] { 1 }).AsTask();
        await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => first.WaitAsync(Bound));
        Task<Response> waiting = gateway.SendRequestAsync(0x10, new byte[] { 2 }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "legacy: the command's key is retired after the timeout, so the request waits for it");

        using var release = new ManualResetEventSlim(false);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.MapRequestHandler(0x20, async (request, ct) =>
        {
            ct.Register(() => release.Wait(TimeSpan.FromMinutes(1))); // user code that blocks when the link ends (released below)
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        await device.SendAsync(0x20, 7);
        await entered.Task.WaitAsync(Bound);
        try
        {
            gateway.Abort("test");
            // Well within the callback's block: the waiter must not wait for it to return.
            ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => waiting.WaitAsync(Bound))!;
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.Aborted));
        }
        finally
        {
            release.Set();
        }
    }
    [Test]
    public async Task A_connection_aborted_before_it_was_started_refuses_to_start()
    {
        (TestDuplexPipe a, _) = TestDuplexPipe.CreatePair();
        var gateway = Track(new FrameConnection(a, options: Options("gw")));
        gateway.Abort("before start");

        ConnectionClosedException error = Assert.Throws<ConnectionClosedException>(gateway.Start)!;

        Assert.Multiple(() =>
        {
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.Aborted));
            Assert.That(error.Message, Does.Contain("before start"));
            Assert.That(gateway.IsOpen, Is.False);
        });
        ConnectionClosedInfo info = await gateway.Completion.WaitAsync(Bound);
        Assert.That(info.Reason, Is.EqualTo(ConnectionCloseReason.Aborted));
    }
}
