using Mcp.Frames.Connections;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tests.Support;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>The device role: what a connection answers to requests it receives, including broken ones.</summary>
public class InboundRequestTests : ConnectionTestBase
{
    private const byte Vendor = 0x55;

    [Test]
    public async Task A_request_with_an_empty_payload_is_dropped_and_counted_as_malformed()
    {
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway();
        await gateway.SendAsync(McpCommand.Read);           // no seq: cannot be answered
        await gateway.SendAsync(McpCommand.Read | 0x80, 1); // a response without status
        await gateway.SendAsync(McpCommand.Ping, 5, 1);

        RawFrame answer = await gateway.ReadFrameAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Payload, Is.EqualTo(new byte[] { 5, 0, 1 }), "only the PING is answered");
            Assert.That(device.Statistics.MalformedFrames, Is.EqualTo(2));
            Assert.That(gateway.Queued, Is.Zero);
        });
    }

    [Test]
    public async Task A_request_with_no_handler_is_answered_UNKNOWN_COMMAND()
    {
        (RawPeer gateway, _, _) = CreateWithRawGateway();
        await gateway.SendAsync(0x33, 9, 1, 2);
        RawFrame answer = await gateway.ReadFrameAsync();
        Assert.That(answer.Command, Is.EqualTo(0xB3));
        Assert.That(answer.Payload, Is.EqualTo(new byte[] { 9, (byte)McpStatus.UnknownCommand }));
    }

    [Test]
    public async Task A_handler_that_throws_is_answered_INTERNAL_ERROR_and_logged_as_an_error()
    {
        Logs.ExpectError(e => e.EventId.Id == 6 && e.Exception is InvalidOperationException);
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway();
        device.MapRequestHandler(Vendor, (request, ct) => throw new InvalidOperationException("sensor bus jammed"));

        await gateway.SendAsync(Vendor, 4, 0);
        RawFrame answer = await gateway.ReadFrameAsync();
        Assert.That(answer.Payload, Is.EqualTo(new byte[] { 4, (byte)McpStatus.InternalError }));
        LogEntry error = Logs.Entries.Single(e => e.Level == LogLevel.Error);
        Assert.That(error.Message, Does.Contain("dev").And.Contain("0x55"));
        Assert.That(error.Exception!.Message, Is.EqualTo("sensor bus jammed"));
    }

    [Test]
    public async Task A_handler_that_finds_the_body_malformed_is_answered_BAD_REQUEST_and_logged_as_a_warning()
    {
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway();
        device.MapRequestHandler(McpCommand.Read, (request, ct) =>
        {
            ReadRequest read = ReadRequest.Read(request.Body.Span); // throws ProtocolException for a short body
            return request.ReplyOkAsync(new Int32Values(new int[read.Count]), ct);
        });

        await gateway.SendAsync(McpCommand.Read, 4, 1, 0x10); // seq 4, slot 1, half a register address, no count
        await gateway.SendAsync(McpCommand.Read, 5, 1, 0x10, 0x00, 2);
        RawFrame[] answers = [await gateway.ReadFrameAsync(), await gateway.ReadFrameAsync()];
        RawFrame malformed = answers.Single(a => a.Payload[0] == 4); // handlers run side by side: any order
        RawFrame good = answers.Single(a => a.Payload[0] == 5);

        Assert.That(malformed.Payload, Is.EqualTo(new byte[] { 4, (byte)McpStatus.BadRequest }));
        Assert.That(good.Payload, Is.EqualTo(new byte[] { 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 }), "the handler loop goes on");
        LogEntry warning = Logs.Entries.Single(e => e.EventId.Id == 15);
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Message, Does.Contain("dev").And.Contain("READ").And.Contain("BAD_REQUEST").And.Contain("register"));
        Assert.That(Logs.Entries.Where(e => e.Level >= LogLevel.Error), Is.Empty);
    }

    [Test]
    public async Task A_handler_that_returns_without_replying_is_answered_INTERNAL_ERROR()
    {
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway();
        device.MapRequestHandler(Vendor, (request, ct) => ValueTask.CompletedTask);
        await gateway.SendAsync(Vendor, 4);
        Assert.That((await gateway.ReadFrameAsync()).Payload, Is.EqualTo(new byte[] { 4, (byte)McpStatus.InternalError }));
        Assert.That(Logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("without replying", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task A_reply_larger_than_the_payload_limit_is_answered_TOO_LARGE()
    {
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway(o => o.MaxPayloadLength = 16);
        device.MapRequestHandler(Vendor, (request, ct) => request.ReplyAsync(0, new byte[15], ct));
        await gateway.SendAsync(Vendor, 8);
        RawFrame answer = await gateway.ReadFrameAsync();
        Assert.That(answer.Payload, Is.EqualTo(new byte[] { 8, (byte)McpStatus.TooLarge }));
        Assert.That(Logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("TOO_LARGE", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task A_full_handler_queue_answers_BUSY_and_counts_the_rejection()
    {
        (RawPeer gateway, FrameConnection device, TaskCompletionSource entered, TaskCompletionSource release) = CreateWithOneHandlerSlot();

        await gateway.SendAsync(Vendor, 1);
        await entered.Task.WaitAsync(Bound);
        await gateway.SendAsync(Vendor, 2); // queued
        await gateway.SendAsync(Vendor, 3); // no room
        RawFrame busy = await gateway.ReadFrameAsync();
        Assert.That(busy.Payload, Is.EqualTo(new byte[] { 3, (byte)McpStatus.Busy }));
        Assert.That(device.Statistics.InboundRequestsRejected, Is.EqualTo(1));

        release.TrySetResult();
        List<RawFrame> answers = await gateway.ReadFramesAsync(2);
        Assert.That(answers.Select(a => a.Seq), Is.EqualTo(new byte[] { 1, 2 }));
    }

    [Test]
    public async Task A_flood_of_refused_requests_logs_one_warning_a_second_with_the_count_held_back()
    {
        (RawPeer gateway, FrameConnection device, TaskCompletionSource entered, TaskCompletionSource release) = CreateWithOneHandlerSlot();
        await gateway.SendAsync(Vendor, 0);
        await entered.Task.WaitAsync(Bound);
        await gateway.SendAsync(Vendor, 1); // queued: the queue is full from here on

        for (byte seq = 2; seq < 12; seq++)
        {
            await gateway.SendAsync(Vendor, seq);
        }

        await gateway.ReadFramesAsync(10); // ten BUSY answers: every refusal is still answered
        Clock.Advance(TimeSpan.FromSeconds(1));
        await gateway.SendAsync(Vendor, 12);
        await gateway.ReadFrameAsync();

        string[] warnings = [.. Logs.Entries.Where(e => e.EventId.Id == 5).Select(e => e.Message)];
        Assert.Multiple(() =>
        {
            Assert.That(device.Statistics.InboundRequestsRejected, Is.EqualTo(11));
            Assert.That(warnings, Has.Length.EqualTo(2), "the first refusal, then the first one a second later");
            Assert.That(warnings[1], Does.Contain("9 more refused since the last such warning"));
        });
        release.TrySetResult();
    }

    [Test]
    public async Task A_handler_failing_with_another_links_ConnectionClosedException_does_not_stop_request_handling()
    {
        Logs.ExpectError(e => e.EventId.Id == 6 && e.Exception is ConnectionClosedException);
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway(o => o.HandlerConcurrency = 2);
        device.MapRequestHandler(Vendor, (request, ct) => throw new ConnectionClosedException("connection upstream closed by the peer") { LinkName = "upstream" });

        for (byte seq = 1; seq <= 5; seq++)
        {
            await gateway.SendAsync(Vendor, seq);
            Assert.That((await gateway.ReadFrameAsync()).Payload, Is.EqualTo(new byte[] { seq, (byte)McpStatus.InternalError }));
        }

        await gateway.SendAsync(McpCommand.Ping, 6, 6);
        Assert.That((await gateway.ReadFrameAsync()).Payload, Is.EqualTo(new byte[] { 6, 0, 6 }), "handlers still run");
        Assert.That(device.IsOpen, Is.True);
    }

    [Test]
    public async Task A_link_limit_too_small_for_any_reply_never_breaks_the_connection_or_its_close()
    {
        Logs.ExpectError(e => e.EventId.Id == 6 && e.Exception is ArgumentException);
        (RawPeer gateway, FrameConnection device, TestDuplexPipe end) = CreateWithRawGateway();
        device.MaxPayloadLength = 1;
        await gateway.SendAsync(0x33, 1);               // UNKNOWN_COMMAND does not fit
        await gateway.SendAsync(McpCommand.Ping, 2, 9); // the echo does not fit either
        await gateway.SendAsync(0x34, 3);
        await end.ObservedInput.WaitForConsumedAsync(6 + 7 + 6);

        Assert.That(device.IsOpen, Is.True);
        await device.CloseAsync().AsTask().WaitAsync(Bound);
        Assert.That(gateway.Queued, Is.Zero);
    }

    [Test]
    public async Task A_handler_that_blocks_its_thread_does_not_stop_the_read_loop()
    {
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway(o => o.HandlerConcurrency = 2);
        using var release = new ManualResetEventSlim(false);
        device.MapRequestHandler(Vendor, (request, ct) =>
        {
            release.Wait(Bound); // a badly written handler: blocks instead of awaiting
            return request.ReplyAsync(0, default, ct);
        });

        try
        {
            await gateway.SendAsync(Vendor, 1);
            await gateway.SendAsync(McpCommand.Ping, 2, 2);
            Assert.That((await gateway.ReadFrameAsync()).Payload, Is.EqualTo(new byte[] { 2, 0, 2 }));
        }
        finally
        {
            release.Set();
        }

        Assert.That((await gateway.ReadFrameAsync()).Payload, Is.EqualTo(new byte[] { 1, 0 }));
    }

    [Test]
    public async Task A_caller_that_blocks_after_its_answer_does_not_stop_other_answers()
    {
        (FrameConnection gatewayConnection, RawPeer device, _) = CreateWithRawDevice();
        using var release = new ManualResetEventSlim(false);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task first = Task.Run(async () =>
        {
            using Response r = await gatewayConnection.SendRequestAsync(Vendor, new byte[] { 1 });
            blocked.TrySetResult();
            release.Wait(Bound); // if this ran on the read loop, nothing else would be received
        });
        RawFrame frame1 = await device.ReadFrameAsync();
        Task<Response> second = gatewayConnection.SendRequestAsync(Vendor, new byte[] { 2 }).AsTask();
        RawFrame frame2 = await device.ReadFrameAsync();

        try
        {
            await device.ReplyAsync(frame1, 0);
            await blocked.Task.WaitAsync(Bound);
            await device.ReplyAsync(frame2, 0, 2);
            using Response answer = await second.WaitAsync(Bound);
            Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 2 }));
        }
        finally
        {
            release.Set();
        }

        await first.WaitAsync(Bound);
    }

    /// <summary>A device with one handler and a queue of one; its handler of <see cref="Vendor"/> waits for <c>release</c>.</summary>
    private (RawPeer Gateway, FrameConnection Device, TaskCompletionSource Entered, TaskCompletionSource Release) CreateWithOneHandlerSlot()
    {
        (RawPeer gateway, FrameConnection device, _) = CreateWithRawGateway(o =>
        {
            o.HandlerConcurrency = 1;
            o.InboundRequestQueueCapacity = 1;
        });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.MapRequestHandler(Vendor, async (request, ct) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
            await request.ReplyAsync(0, request.Body, ct);
        });
        return (gateway, device, entered, release);
    }

    private (RawPeer Gateway, FrameConnection Device, TestDuplexPipe DeviceEnd) CreateWithRawGateway(Action<FrameConnectionOptions>? device = null)
    {
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        RawPeer gateway = Track(new RawPeer(gatewayEnd));
        FrameConnection connection = Track(new FrameConnection(deviceEnd, options: Options("dev", device)));
        connection.Start();
        return (gateway, connection, deviceEnd);
    }
}
