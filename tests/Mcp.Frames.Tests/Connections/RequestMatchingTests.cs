using System.Buffers.Binary;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Profiles;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>PROTOCOL.md §2.1: responses matched by (cmd, seq), in any order; late answers dropped; seq retirement.</summary>
public class RequestMatchingTests : ConnectionTestBase
{
    private const byte Vendor = 0x55;
    private const byte Ok = (byte)McpStatus.Ok;

    [Test]
    public async Task Ten_thousand_requests_from_eight_tasks_answered_in_shuffled_order_each_get_their_own_answer()
    {
        const int Callers = 8;
        const int PerCaller = 1250;
        var responder = new ShufflingResponder(seed: 20301, callers: Callers);
        ConnectedPair pair = CreatePair(
            gateway: o => o.RequestTimeout = TimeSpan.FromHours(1),
            device: o => o.HandlerConcurrency = Callers);
        pair.Device.MapRequestHandler(Vendor, responder.HandleAsync);

        int wrong = 0;
        Task[] callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            try
            {
                byte[] body = new byte[8];
                for (int i = 0; i < PerCaller; i++)
                {
                    int id = (c * PerCaller) + i;
                    BinaryPrimitives.WriteInt32LittleEndian(body, id);
                    BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), ~id);
                    using Response response = await pair.Gateway.SendRequestAsync(Vendor, body);
                    if (!response.Body.Span.SequenceEqual(ShufflingResponder.Answer(body)))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
            finally
            {
                responder.CallerDone();
            }
        })).ToArray();

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        TestContext.Out.WriteLine($"answered out of arrival order: {responder.OutOfOrder} of {Callers * PerCaller}");
        Assert.Multiple(() =>
        {
            Assert.That(wrong, Is.Zero, "callers that got another request's answer");
            Assert.That(responder.Released, Is.EqualTo(Callers * PerCaller));
            Assert.That(responder.OutOfOrder, Is.GreaterThan(Callers * PerCaller / 2), "the responder really answered out of order");
            Assert.That(pair.Gateway.Statistics.UnmatchedResponses, Is.Zero);
            Assert.That(pair.Gateway.Statistics.RequestsAnswered, Is.EqualTo(Callers * PerCaller));
        });
    }

    [Test]
    public async Task Late_answer_after_a_timeout_is_dropped_and_counted_and_the_next_request_gets_its_own()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1));

        Task<Response> a = gateway.SendRequestAsync(Vendor, "A"u8.ToArray()).AsTask();
        RawFrame frameA = await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        RequestTimeoutException timeout = Assert.ThrowsAsync<RequestTimeoutException>(() => a.WaitAsync(Bound))!;
        Assert.That(timeout.Message, Does.Contain("gw").And.Contain("0x55").And.Contain($"seq {frameA.Seq}").And.Contain("1000 ms"));

        Task<Response> b = gateway.SendRequestAsync(Vendor, "B"u8.ToArray()).AsTask();
        RawFrame frameB = await device.ReadFrameAsync();
        Assert.That(frameB.Seq, Is.Not.EqualTo(frameA.Seq), "a timed-out seq is not reused right away");

        await device.ReplyAsync(frameA, Ok, "answer to A"u8.ToArray());
        await device.ReplyAsync(frameB, Ok, "answer to B"u8.ToArray());

        using Response answer = await b.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Body.ToArray(), Is.EqualTo("answer to B"u8.ToArray()));
            Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));
            Assert.That(gateway.Statistics.RequestsTimedOut, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_late_answer_goes_to_the_observer_of_its_request_and_an_observer_that_throws_does_not_end_the_link()
    {
        Logs.ExpectError(e => e.EventId.Id == 17 && e.Exception is InvalidOperationException);
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1));
        var observed = new List<(byte Status, byte[] Body)>();
        var recording = new RecordingObserver(observed);

        Task<Response> a = gateway.SendRequestAsync(Vendor, new BytesPayload("A"u8.ToArray()), null, recording, CancellationToken.None).AsTask();
        RawFrame frameA = await device.ReadFrameAsync();
        Task<Response> b = gateway.SendRequestAsync(Vendor, new BytesPayload("B"u8.ToArray()), null, new ThrowingObserver(), CancellationToken.None).AsTask();
        RawFrame frameB = await device.ReadFrameAsync();
        Task<Response> c = gateway.SendRequestAsync(Vendor, "C"u8.ToArray()).AsTask(); // no observer
        RawFrame frameC = await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => a.WaitAsync(Bound));
        Assert.ThrowsAsync<RequestTimeoutException>(() => b.WaitAsync(Bound));
        Assert.ThrowsAsync<RequestTimeoutException>(() => c.WaitAsync(Bound));

        await device.ReplyAsync(frameC, Ok, 3);
        await device.ReplyAsync(frameB, Ok, 2);
        await device.ReplyAsync(frameA, 0x07, 1, 1);
        await device.ReplyAsync(frameA, Ok, 9); // a second late answer to A: its watch was used up by the first

        // The link still works, and the answers above were all handled before this one.
        Task<Response> d = gateway.SendRequestAsync(Vendor, "D"u8.ToArray()).AsTask();
        RawFrame frameD = await device.ReadFrameAsync();
        await device.ReplyAsync(frameD, Ok, 4);
        using Response answer = await d.WaitAsync(Bound);

        Assert.Multiple(() =>
        {
            Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 4 }));
            Assert.That(observed, Has.Count.EqualTo(1), "A's observer, once; C had none, and B's threw");
            Assert.That(observed[0].Status, Is.EqualTo(0x07));
            Assert.That(observed[0].Body, Is.EqualTo(new byte[] { 1, 1 }));
            Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(4), "late answers are dropped and counted, observed or not");
            Assert.That(gateway.IsOpen, Is.True);
        });
    }

    private sealed class RecordingObserver(List<(byte Status, byte[] Body)> seen) : ILateAnswerObserver
    {
        public void OnLateAnswer(FrameConnection connection, byte status, ReadOnlySpan<byte> body) => seen.Add((status, body.ToArray()));
    }

    private sealed class ThrowingObserver : ILateAnswerObserver
    {
        public void OnLateAnswer(FrameConnection connection, byte status, ReadOnlySpan<byte> body) => throw new InvalidOperationException("observer bug");
    }

    [Test]
    public async Task A_response_with_the_right_seq_but_another_command_is_dropped_and_counted_in_statistics_and_metric()
    {
        using var meters = new TestMeterFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(meters).Meter);
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MeterFactory = meters);

        Task<Response> call = gateway.SendRequestAsync(Vendor, "A"u8.ToArray()).AsTask();
        RawFrame frame = await device.ReadFrameAsync();

        // §2.1: matched by (cmd & 0x7F, seq): the same seq on another command's response answers nothing in flight.
        await device.SendAsync((Vendor + 1) | 0x80, frame.Seq, Ok, (byte)'X');
        await device.ReplyAsync(frame, Ok, "mine"u8.ToArray());

        using Response answer = await call.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Body.ToArray(), Is.EqualTo("mine"u8.ToArray()));
            Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));
            Assert.That(metrics.Sum("mcp.frames.responses.unmatched", gateway.Name), Is.EqualTo(1), "the mcp.frames.responses.unmatched counter");
        });
    }

    [Test]
    public async Task A_timed_out_seq_stays_retired_for_two_more_timeout_periods()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MaxInFlight = 256);

        Task<Response> a = gateway.SendRequestAsync(Vendor, "A"u8.ToArray(), new RequestOptions { Timeout = TimeSpan.FromSeconds(1) }).AsTask();
        RawFrame frameA = await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => a.WaitAsync(Bound));

        await SeqRetirement.ProveRetiredAsync(gateway, device, Clock, frameA.Seq, TimeSpan.FromSeconds(2));
    }

    [Test]
    public async Task A_late_answer_racing_a_timeout_never_completes_the_newer_request_that_reuses_the_pooled_waiter()
    {
        var profile = new GatedResponseProfile(Mcp1Profile.Instance);
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1), profile);

        Task<Response> a = gateway.SendRequestAsync(Vendor, "A"u8.ToArray()).AsTask();
        RawFrame frameA = await device.ReadFrameAsync();

        // The read loop takes A's waiter out of the table for the answer, then is held before completing it...
        profile.BlockNextResponse();
        await device.ReplyAsync(frameA, Ok, "answer to A"u8.ToArray());
        Assert.That(await Task.Run(() => profile.Entered.Wait(Bound)), Is.True);
        try
        {
            // ...while A times out, its waiter goes back to the pool, and B takes it.
            Clock.Advance(TimeSpan.FromSeconds(1));
            Assert.ThrowsAsync<RequestTimeoutException>(() => a.WaitAsync(Bound));
            Task<Response> b = gateway.SendRequestAsync(Vendor, "B"u8.ToArray()).AsTask();
            RawFrame frameB = await device.ReadFrameAsync();
            profile.Release.Set();

            // A's answer must now be dropped, not given to B.
            await device.ReplyAsync(frameB, Ok, "answer to B"u8.ToArray());
            using Response answer = await b.WaitAsync(Bound);
            Assert.That(answer.Body.ToArray(), Is.EqualTo("answer to B"u8.ToArray()));
            Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));
        }
        finally
        {
            profile.Release.Set();
        }
    }

    [Test]
    public async Task Timeouts_racing_answers_on_pooled_waiters_never_give_a_wrong_answer_or_an_early_timeout()
    {
        // The device moves the fake clock past every pending deadline while it answers, from its handler threads, so
        // timeouts fire on one thread while answers are matched on the read loop and waiters are recycled by the
        // callers: every request must end with its own answer, or a timeout no earlier than its deadline.
        const int Callers = 8;
        const int PerCaller = 300;
        TimeSpan timeout = TimeSpan.FromSeconds(1);
        ConnectedPair pair = CreatePair(
            gateway: o => o.RequestTimeout = timeout,
            device: o => o.HandlerConcurrency = 4);
        var random = new Random(4242);
        var randomLock = new Lock();
        int busy = 0;
        long[] received = new long[Callers * PerCaller]; // when the device got each request: after its seq was drawn
        pair.Device.MapRequestHandler(Vendor, async (request, ct) =>
        {
            Volatile.Write(ref received[BinaryPrimitives.ReadInt32LittleEndian(request.Body.Span)], Clock.GetTimestamp());
            int action;
            lock (randomLock)
            {
                action = random.Next(10);
            }

            // The clock moves only while no other handler holds an answer back: an answer that a descheduled handler
            // sits on while fake time races on would come later than any seq retirement can cover (PROTOCOL.md §2.1
            // retires a seq for a timeout period or so, not for ever), and match a newer request with the same seq.
            Interlocked.Increment(ref busy);
            try
            {
                if (action == 0 && Volatile.Read(ref busy) == 1)
                {
                    Clock.Advance(timeout);
                }

                await request.ReplyAsync(Ok, request.Body, ct);
                if (action == 1 && Volatile.Read(ref busy) == 1)
                {
                    Clock.Advance(timeout);
                }
            }
            finally
            {
                Interlocked.Decrement(ref busy);
            }
        });

        // An answer that a descheduled thread holds back while the others move the clock on by three timeouts or more
        // can arrive after its seq's retirement (PROTOCOL.md §2.1) and match a newer request with the same seq: no
        // matcher can tell the two apart. Such an answer is told from a matching bug by when its request began: with a
        // correct matcher the request it completed drew the seq, so reached the device, at least three timeouts after
        // it (one timeout to be abandoned, two of retirement). Anything else that completes a request with another's
        // answer is a bug.
        long[] started = new long[Callers * PerCaller];
        var wrongAnswers = new System.Collections.Concurrent.ConcurrentQueue<(int Request, int AnswerOf)>();
        int answered = 0, timedOut = 0, early = 0;
        Task[] callers = Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            byte[] body = new byte[4];
            for (int i = 0; i < PerCaller; i++)
            {
                int id = (c * PerCaller) + i;
                BinaryPrimitives.WriteInt32LittleEndian(body, id);
                long start = Clock.GetTimestamp();
                started[id] = start;
                try
                {
                    using Response response = await pair.Gateway.SendRequestAsync(Vendor, body);
                    if (response.Body.Span.SequenceEqual(body))
                    {
                        Interlocked.Increment(ref answered);
                    }
                    else
                    {
                        wrongAnswers.Enqueue((id, BinaryPrimitives.ReadInt32LittleEndian(response.Body.Span)));
                    }
                }
                catch (RequestTimeoutException)
                {
                    Interlocked.Increment(ref timedOut);
                    if (Clock.GetElapsedTime(start) < timeout)
                    {
                        Interlocked.Increment(ref early);
                    }
                }
            }
        })).ToArray();

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        // A request completed by another's answer was written, so the device gets it, perhaps only after that answer.
        await Bounded.UntilAsync(() => wrongAnswers.All(w => Volatile.Read(ref received[w.Request]) != 0), "the device got every request completed by another's answer");

        int beyondRetirement = wrongAnswers.Count(w => Clock.GetElapsedTime(started[w.AnswerOf], received[w.Request]) >= timeout * 3);
        int wrong = wrongAnswers.Count - beyondRetirement;
        TestContext.Out.WriteLine($"answered {answered}, timed out {timedOut}, late answers dropped {pair.Gateway.Statistics.UnmatchedResponses}, answers held back beyond their seq's retirement {beyondRetirement}");
        Assert.Multiple(() =>
        {
            Assert.That(wrong, Is.Zero, "requests completed with another request's answer within its seq's retirement");
            Assert.That(early, Is.Zero, "requests that timed out before their deadline");
            Assert.That(answered + timedOut + beyondRetirement, Is.EqualTo(Callers * PerCaller));
            Assert.That(timedOut, Is.GreaterThan(0), "the test did race timeouts against answers");
            Assert.That(pair.Gateway.Statistics.UnmatchedResponses, Is.GreaterThan(0), "answers did arrive after their timeout");
        });
    }

    /// <summary>
    /// Holds every request until all callers are waiting, then answers one chosen at random (seeded): answers come
    /// in shuffled order, and no real time passes.
    /// </summary>
    private sealed class ShufflingResponder(int seed, int callers)
    {
        private readonly Random _random = new(seed);
        private readonly Lock _lock = new();
        private readonly List<(long Arrival, TaskCompletionSource Gate)> _held = [];
        private int _active = callers;
        private long _arrivals;

        public int OutOfOrder { get; private set; }

        public int Released { get; private set; }

        public static byte[] Answer(ReadOnlySpan<byte> body)
        {
            byte[] answer = body.ToArray();
            Array.Reverse(answer);
            for (int i = 0; i < answer.Length; i++)
            {
                answer[i] ^= 0xA5;
            }

            return answer;
        }

        public async ValueTask HandleAsync(RequestContext request, CancellationToken cancellationToken)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _held.Add((_arrivals++, gate));
                ReleaseWhileAllWait();
            }

            await gate.Task.WaitAsync(cancellationToken);
            await request.ReplyAsync(Ok, Answer(request.Body.Span), cancellationToken);
        }

        public void CallerDone()
        {
            lock (_lock)
            {
                _active--;
                ReleaseWhileAllWait();
            }
        }

        private void ReleaseWhileAllWait()
        {
            while (_held.Count > 0 && _held.Count >= _active)
            {
                int pick = _random.Next(_held.Count);
                long oldest = _held.Min(h => h.Arrival);
                if (_held[pick].Arrival != oldest)
                {
                    OutOfOrder++;
                }

                TaskCompletionSource gate = _held[pick].Gate;
                _held.RemoveAt(pick);
                Released++;
                gate.TrySetResult();
            }
        }
    }
}

/// <summary>Proves PROTOCOL.md §2.1's retirement rule for one seq with the whole seq space in use.</summary>
internal static class SeqRetirement
{
    /// <summary>
    /// Fills every other seq with held requests, then shows that one more request waits (is not sent) until
    /// <paramref name="retirement"/> has passed on the clock, and is then sent with <paramref name="retiredSeq"/>.
    /// Needs MaxInFlight = 256. Answers everything at the end.
    /// </summary>
    public static async Task ProveRetiredAsync(FrameConnection gateway, RawPeer device, TestClock clock, byte retiredSeq, TimeSpan retirement)
    {
        var held = new RequestOptions { Timeout = TimeSpan.FromMinutes(10) };
        long sentBefore = gateway.Statistics.RequestsSent;
        var requests = new List<Task<Response>>();
        for (int i = 0; i < 255; i++)
        {
            requests.Add(gateway.SendRequestAsync(0x55, new[] { (byte)i }, held).AsTask());
        }

        List<RawFrame> frames = await device.ReadFramesAsync(255);
        Assert.That(frames.Select(f => f.Seq), Is.Unique.And.Not.Contains(retiredSeq), "all seqs but the retired one are in flight");

        Task<Response> waiting = gateway.SendRequestAsync(0x55, "last"u8.ToArray(), held).AsTask();
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(sentBefore + 255), "the request waits for a seq instead of being sent");
        clock.Advance(retirement - TimeSpan.FromMilliseconds(1));
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(sentBefore + 255), "still retired just before the period ends");
        Assert.That(waiting.IsCompleted, Is.False);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        RawFrame last = await device.ReadFrameAsync();
        Assert.That(last.Seq, Is.EqualTo(retiredSeq), "the retired seq is used again once its period is over");
        Assert.That(last.Body, Is.EqualTo("last"u8.ToArray()));

        frames.Add(last);
        foreach (RawFrame frame in frames)
        {
            await device.ReplyAsync(frame, (byte)McpStatus.Ok, frame.Body);
        }

        requests.Add(waiting);
        foreach (Task<Response> request in requests)
        {
            (await request.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        }
    }
}
