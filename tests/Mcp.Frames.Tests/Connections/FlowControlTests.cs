using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>MaxInFlight, BUSY retries, idempotent timeout retries, cancellation.</summary>
public class FlowControlTests : ConnectionTestBase
{
    private const byte Vendor = 0x55;
    private const byte Ok = (byte)McpStatus.Ok;
    private static readonly RequestOptions Held = new() { Timeout = TimeSpan.FromMinutes(10) };

    [Test]
    public async Task With_MaxInFlight_two_a_third_request_waits_unsent_until_one_completes()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MaxInFlight = 2);

        Task<Response> first = gateway.SendRequestAsync(Vendor, "1"u8.ToArray(), Held).AsTask();
        Task<Response> second = gateway.SendRequestAsync(Vendor, "2"u8.ToArray(), Held).AsTask();
        Task<Response> third = gateway.SendRequestAsync(Vendor, "3"u8.ToArray(), Held).AsTask();
        List<RawFrame> frames = await device.ReadFramesAsync(2);

        Assert.Multiple(() =>
        {
            Assert.That(frames.Select(f => f.Body[0]), Is.EquivalentTo("12"u8.ToArray()));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(2), "the third request is not sent");
            Assert.That(device.Queued, Is.Zero);
            Assert.That(third.IsCompleted, Is.False);
        });

        await device.ReplyAsync(frames[1], Ok, frames[1].Body);
        (await second.WaitAsync(Bound)).Dispose();
        RawFrame thirdFrame = await device.ReadFrameAsync();
        Assert.That(thirdFrame.Body, Is.EqualTo("3"u8.ToArray()));

        await device.ReplyAsync(thirdFrame, Ok);
        await device.ReplyAsync(frames[0], Ok);
        (await third.WaitAsync(Bound)).Dispose();
        (await first.WaitAsync(Bound)).Dispose();
    }

    [Test]
    public async Task By_default_32_requests_are_in_flight_and_a_33rd_waits_unsent_until_one_completes()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();

        List<Task<Response>> calls = Enumerable.Range(0, 33).Select(i => gateway.SendRequestAsync(Vendor, new[] { (byte)i }, Held).AsTask()).ToList();
        List<RawFrame> frames = await device.ReadFramesAsync(32);
        Assert.Multiple(() =>
        {
            Assert.That(gateway.MaxInFlight, Is.EqualTo(32));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(32), "the 33rd request is not sent");
            Assert.That(calls[32].IsCompleted, Is.False, "it waits, it does not fail");
        });

        await device.ReplyAsync(frames[0], Ok);
        RawFrame last = await device.ReadFrameAsync();
        Assert.That(last.Body, Is.EqualTo(new byte[] { 32 }));

        frames.Add(last);
        foreach (RawFrame frame in frames.Skip(1))
        {
            await device.ReplyAsync(frame, Ok);
        }

        foreach (Task<Response> call in calls)
        {
            (await call.WaitAsync(Bound)).Dispose();
        }
    }

    [Test]
    public async Task Cancelling_a_request_that_waits_for_a_slot_fails_it_at_once_and_it_is_never_sent()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MaxInFlight = 1);
        Task<Response> first = gateway.SendRequestAsync(Vendor, "1"u8.ToArray(), Held).AsTask();
        RawFrame firstFrame = await device.ReadFrameAsync();
        using var cts = new CancellationTokenSource();

        Task<Response> waiter = gateway.SendRequestAsync(Vendor, "2"u8.ToArray(), Held, cts.Token).AsTask();
        Assert.That(waiter.IsCompleted, Is.False);
        await cts.CancelAsync();

        OperationCanceledException error = Assert.CatchAsync<OperationCanceledException>(() => waiter.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.CancellationToken, Is.EqualTo(cts.Token), "the caller's token, so that a caller can tell its own cancellation");
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1), "it was never sent");
        });

        // The slot it waited for is not lost: the next request is sent once the first is answered.
        await device.ReplyAsync(firstFrame, Ok);
        (await first.WaitAsync(Bound)).Dispose();
        Task<Response> next = gateway.SendRequestAsync(Vendor, "3"u8.ToArray(), Held).AsTask();
        RawFrame nextFrame = await device.ReadFrameAsync();
        Assert.That(nextFrame.Body, Is.EqualTo("3"u8.ToArray()));
        await device.ReplyAsync(nextFrame, Ok);
        (await next.WaitAsync(Bound)).Dispose();
    }

    [Test]
    public async Task A_request_whose_deadline_passes_while_waiting_for_a_slot_fails_saying_so()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MaxInFlight = 2);
        Task<Response> first = gateway.SendRequestAsync(Vendor, "1"u8.ToArray(), Held).AsTask();
        Task<Response> second = gateway.SendRequestAsync(Vendor, "2"u8.ToArray(), Held).AsTask();
        List<RawFrame> frames = await device.ReadFramesAsync(2);

        Task<Response> waiter = gateway.SendRequestAsync(Vendor, "3"u8.ToArray(), new RequestOptions { Timeout = TimeSpan.FromSeconds(1) }).AsTask();
        Clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That(waiter.IsCompleted, Is.False);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        RequestTimeoutException error = Assert.ThrowsAsync<RequestTimeoutException>(() => waiter.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain("waited").And.Contain("slot").And.Contain("2 requests in flight").And.Contain("not sent").And.Contain("gw"));
            Assert.That(error.Timeout, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(error.Command, Is.EqualTo(Vendor));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(2), "it was never sent");
            Assert.That(gateway.Statistics.RequestsTimedOutUnsent, Is.EqualTo(1));
            Assert.That(gateway.Statistics.RequestsTimedOut, Is.Zero, "no attempt sent went unanswered");
        });

        // The slots still work after a waiter gave up.
        await device.ReplyAsync(frames[0], Ok);
        await device.ReplyAsync(frames[1], Ok);
        (await first.WaitAsync(Bound)).Dispose();
        (await second.WaitAsync(Bound)).Dispose();
        Task<Response> after = gateway.SendRequestAsync(Vendor, "4"u8.ToArray()).AsTask();
        await device.ReplyAsync(await device.ReadFrameAsync(), Ok, 4);
        using Response answer = await after.WaitAsync(Bound);
        Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 4 }));
    }

    [Test]
    public async Task A_request_that_waited_for_a_slot_keeps_its_deadline_and_reports_its_whole_timeout()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MaxInFlight = 1);
        Task<Response> first = gateway.SendRequestAsync(Vendor, "1"u8.ToArray(), Held).AsTask();
        RawFrame firstFrame = await device.ReadFrameAsync();

        var options = new RequestOptions { Timeout = TimeSpan.FromSeconds(1), MaxRetries = 0 };
        Task<Response> waiter = gateway.SendRequestAsync(Vendor, "2"u8.ToArray(), options).AsTask();
        Clock.Advance(TimeSpan.FromMilliseconds(400));
        await device.ReplyAsync(firstFrame, Ok);
        (await first.WaitAsync(Bound)).Dispose();
        RawFrame secondFrame = await device.ReadFrameAsync();
        Assert.That(secondFrame.Body, Is.EqualTo("2"u8.ToArray()));

        // The deadline counts from the call, not from the moment the frame was written.
        Clock.Advance(TimeSpan.FromMilliseconds(599));
        Assert.That(waiter.IsCompleted, Is.False);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        RequestTimeoutException error = Assert.ThrowsAsync<RequestTimeoutException>(() => waiter.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Timeout, Is.EqualTo(TimeSpan.FromSeconds(1)), "the caller's timeout, not what was left of it");
            Assert.That(error.Message, Does.Contain("no answer within 1000 ms"));
        });
    }

    [Test]
    public async Task Busy_twice_then_ok_is_retried_with_backoff_and_the_caller_gets_ok()
    {
        ConnectedPair pair = CreatePair();
        int attempts = 0;
        pair.Device.MapRequestHandler(Vendor, (request, ct) =>
            Interlocked.Increment(ref attempts) <= 2
                ? request.ReplyStatusAsync(McpStatus.Busy, "try later", ct)
                : request.ReplyAsync(Ok, "done"u8.ToArray(), ct));
        var options = new RequestOptions { RetryBackoff = TimeSpan.FromMilliseconds(20) };

        Task<Response> call = pair.Gateway.SendRequestAsync(Vendor, "x"u8.ToArray(), options).AsTask();
        await Clock.WaitForArmedAsync(TimeSpan.FromMilliseconds(20));
        Assert.That(attempts, Is.EqualTo(1), "no retry before the backoff");
        Clock.Advance(TimeSpan.FromMilliseconds(20));
        await Clock.WaitForArmedAsync(TimeSpan.FromMilliseconds(40));
        Assert.That(attempts, Is.EqualTo(2), "the backoff doubles");
        Clock.Advance(TimeSpan.FromMilliseconds(40));

        using Response answer = await call.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(Ok));
            Assert.That(answer.Body.ToArray(), Is.EqualTo("done"u8.ToArray()));
            Assert.That(attempts, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Cancelling_during_the_BUSY_backoff_fails_the_request_at_once_without_another_attempt()
    {
        ConnectedPair pair = CreatePair();
        int attempts = 0;
        pair.Device.MapRequestHandler(Vendor, (request, ct) =>
        {
            Interlocked.Increment(ref attempts);
            return request.ReplyStatusAsync(McpStatus.Busy, "try later", ct);
        });
        using var cts = new CancellationTokenSource();

        Task<Response> call = pair.Gateway.SendRequestAsync(Vendor, "x"u8.ToArray(), new RequestOptions { RetryBackoff = TimeSpan.FromSeconds(1) }, cts.Token).AsTask();
        await Clock.WaitForArmedAsync(TimeSpan.FromSeconds(1));
        await cts.CancelAsync();

        OperationCanceledException error = Assert.CatchAsync<OperationCanceledException>(() => call.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.CancellationToken, Is.EqualTo(cts.Token));
            Assert.That(attempts, Is.EqualTo(1));
            Assert.That(pair.Gateway.Statistics.RequestsSent, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Closing_the_link_fails_a_request_in_its_BUSY_backoff_at_once()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        Task<Response> call = gateway.SendRequestAsync(Vendor, "x"u8.ToArray(), new RequestOptions { RetryBackoff = TimeSpan.FromSeconds(30) }).AsTask();
        await device.ReplyAsync(await device.ReadFrameAsync(), (byte)McpStatus.Busy);
        await Clock.WaitForArmedAsync(TimeSpan.FromSeconds(30));

        gateway.Abort("test");

        // No fake time passes: the 30 s backoff must not be waited out.
        ConnectionClosedException error = Assert.ThrowsAsync<ConnectionClosedException>(() => call.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Reason, Is.EqualTo(ConnectionCloseReason.Aborted));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1), "no second attempt");
        });
    }

    [Test]
    public async Task The_BUSY_backoff_doubles_up_to_MaxRetryDelay_and_the_last_BUSY_is_the_answer()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        const int Retries = 40; // 20 ms × 2^39 would overflow a timer
        var options = new RequestOptions { MaxRetries = Retries, RetryBackoff = TimeSpan.FromMilliseconds(20) };
        Task<Response> call = gateway.SendRequestAsync(Vendor, "x"u8.ToArray(), options).AsTask();
        var delays = new List<TimeSpan>();
        for (int attempt = 0; attempt < Retries; attempt++)
        {
            await device.ReplyAsync(await device.ReadFrameAsync(), (byte)McpStatus.Busy);
            TimeSpan expected = TimeSpan.FromMilliseconds(20 * Math.Pow(2, Math.Min(attempt, 20)));
            expected = expected < RequestOptions.MaxRetryDelay ? expected : RequestOptions.MaxRetryDelay;
            delays.Add(expected);
            await Clock.WaitForArmedAsync(expected, delays.Count(d => d == expected));
            Clock.Advance(expected);
        }

        await device.ReplyAsync(await device.ReadFrameAsync(), (byte)McpStatus.Busy);

        RemoteStatusException error = Assert.ThrowsAsync<RemoteStatusException>(() => call.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.StatusName, Is.EqualTo("BUSY"));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(Retries + 1));
            Assert.That(delays[^1], Is.EqualTo(TimeSpan.FromSeconds(30)), "capped");
            Assert.That(delays.Count(d => d == RequestOptions.MaxRetryDelay), Is.EqualTo(Retries - 11), "20 ms doubles to 20.48 s over the first eleven waits, then 30 s");
        });
    }

    [Test]
    public async Task Busy_beyond_MaxRetries_raises_RemoteStatusException_BUSY()
    {
        ConnectedPair pair = CreatePair();
        int attempts = 0;
        pair.Device.MapRequestHandler(Vendor, (request, ct) =>
        {
            Interlocked.Increment(ref attempts);
            return request.ReplyStatusAsync(McpStatus.Busy, "queue full", ct);
        });

        Task<Response> call = pair.Gateway.SendRequestAsync(Vendor, "x"u8.ToArray(), new RequestOptions { MaxRetries = 1, RetryBackoff = TimeSpan.FromMilliseconds(20) }).AsTask();
        await Clock.WaitForArmedAsync(TimeSpan.FromMilliseconds(20));
        Clock.Advance(TimeSpan.FromMilliseconds(20));

        RemoteStatusException error = Assert.ThrowsAsync<RemoteStatusException>(() => call.WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Status, Is.EqualTo(0x06));
            Assert.That(error.StatusName, Is.EqualTo("BUSY"));
            Assert.That(error.RemoteMessage, Is.EqualTo("queue full"));
            Assert.That(error.Message, Does.Contain("Request 0x55 (seq 1) on gw was answered BUSY (0x06): queue full"), "the second attempt's seq");
            Assert.That(attempts, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task An_idempotent_request_is_sent_again_after_a_timeout_with_a_new_seq()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1));
        var options = new RequestOptions { Idempotent = true, RetryBackoff = TimeSpan.FromMilliseconds(20) };

        Task<Response> call = gateway.SendRequestAsync(Vendor, "read"u8.ToArray(), options).AsTask();
        RawFrame ignored = await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Clock.WaitForArmedAsync(TimeSpan.FromMilliseconds(20));
        Clock.Advance(TimeSpan.FromMilliseconds(20));
        RawFrame retry = await device.ReadFrameAsync();
        await device.ReplyAsync(retry, Ok, "value"u8.ToArray());

        using Response answer = await call.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(retry.Body, Is.EqualTo(ignored.Body));
            Assert.That(retry.Seq, Is.Not.EqualTo(ignored.Seq));
            Assert.That(answer.Body.ToArray(), Is.EqualTo("value"u8.ToArray()));
            Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(2));
            Assert.That(gateway.Statistics.RequestsTimedOut, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_non_idempotent_request_is_not_sent_again_after_a_timeout()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1));

        Task<Response> call = gateway.SendRequestAsync(Vendor, "write"u8.ToArray(), new RequestOptions { Idempotent = false, MaxRetries = 5 }).AsTask();
        await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.ThrowsAsync<RequestTimeoutException>(() => call.WaitAsync(Bound));
        Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1));
        Assert.That(device.Queued, Is.Zero);
    }

    [Test]
    public async Task Cancellation_fails_the_request_with_OperationCanceledException_and_retires_its_seq()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o =>
        {
            o.MaxInFlight = 256;
            o.RequestTimeout = TimeSpan.FromSeconds(2);
        });
        using var cts = new CancellationTokenSource();

        Task<Response> call = gateway.SendRequestAsync(Vendor, "A"u8.ToArray(), cancellationToken: cts.Token).AsTask();
        RawFrame frame = await device.ReadFrameAsync();
        await cts.CancelAsync();

        OperationCanceledException error = Assert.CatchAsync<OperationCanceledException>(() => call.WaitAsync(Bound))!;
        Assert.That(error.CancellationToken, Is.EqualTo(cts.Token));
        Assert.That(error.Message, Does.Contain("gw").And.Contain($"seq {frame.Seq}"));

        // A late answer is dropped, and the seq stays out of use for two of the request's timeouts.
        await device.ReplyAsync(frame, Ok, "late"u8.ToArray());
        await SeqRetirement.ProveRetiredAsync(gateway, device, Clock, frame.Seq, TimeSpan.FromSeconds(4));
        Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));
    }

    [Test]
    public async Task An_already_cancelled_token_fails_at_once_and_sends_nothing()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => gateway.SendRequestAsync(Vendor, "A"u8.ToArray(), cancellationToken: cts.Token).AsTask().WaitAsync(Bound));

        // Nothing went out for it (a cancelled WRITE must not reach the device), and the connection stays usable.
        Task<Response> next = gateway.SendRequestAsync(Vendor, "B"u8.ToArray()).AsTask();
        RawFrame frame = await device.ReadFrameAsync();
        Assert.That(frame.Body, Is.EqualTo("B"u8.ToArray()));
        await device.ReplyAsync(frame, Ok);
        (await next.WaitAsync(Bound)).Dispose();
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1));
    }
}
