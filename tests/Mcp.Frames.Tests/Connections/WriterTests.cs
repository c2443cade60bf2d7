using System.Buffers.Binary;
using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>The writer: one frame at a time, frames of a burst coalesced into one flush, none ever stranded unflushed.</summary>
public class WriterTests : ConnectionTestBase
{
    private const byte Event = McpCommand.Event;

    [Test]
    public async Task Frames_written_while_a_flush_is_in_progress_are_flushed_together_once()
    {
        (FrameConnection gateway, RawPeer device, GatedPipeWriter output) = CreateGated();
        output.Hold();
        Task first = gateway.SendOneWayAsync(Event, new byte[] { 0 }).AsTask();
        await output.FlushEntered.Task.WaitAsync(Bound);
        Task[] burst = Enumerable.Range(1, 9).Select(i => gateway.SendOneWayAsync(Event, new[] { (byte)i }).AsTask()).ToArray();
        Assert.That(burst.All(t => !t.IsCompleted), Is.True, "the burst waits for the writer");

        output.Open();
        await Task.WhenAll(burst.Append(first)).WaitAsync(Bound);

        List<RawFrame> frames = await device.ReadFramesAsync(10);
        Assert.That(frames.Select(f => (int)f.Payload[0]), Is.EquivalentTo(Enumerable.Range(0, 10)));
        Assert.That(output.Flushes, Is.EqualTo(2), "one flush for the first frame, one for the nine behind it");
        Assert.That(gateway.Statistics.FramesSent, Is.EqualTo(10));
    }

    [Test]
    public async Task Queued_writers_that_give_up_do_not_leave_the_frames_before_them_unflushed()
    {
        (FrameConnection gateway, RawPeer device, GatedPipeWriter output) = CreateGated();
        output.Hold();
        Task first = gateway.SendOneWayAsync(Event, new byte[] { 0 }).AsTask();
        await output.FlushEntered.Task.WaitAsync(Bound);
        using var giveUp = new CancellationTokenSource();
        Task[] kept = Enumerable.Range(1, 5).Select(i => gateway.SendOneWayAsync(Event, new[] { (byte)i }).AsTask()).ToArray();
        Task[] cancelled = Enumerable.Range(6, 3).Select(i => gateway.SendOneWayAsync(Event, new[] { (byte)i }, giveUp.Token).AsTask()).ToArray();

        await giveUp.CancelAsync();
        foreach (Task t in cancelled)
        {
            Assert.CatchAsync<OperationCanceledException>(() => t.WaitAsync(Bound));
        }

        output.Open();
        await Task.WhenAll(kept.Append(first)).WaitAsync(Bound);
        List<RawFrame> frames = await device.ReadFramesAsync(6);
        Assert.That(frames.Select(f => (int)f.Payload[0]), Is.EquivalentTo(Enumerable.Range(0, 6)));
        Assert.That(gateway.Statistics.FramesSent, Is.EqualTo(6), "a writer that gave up wrote nothing");
    }

    [Test]
    public async Task A_writer_that_gives_up_after_the_one_before_it_skipped_its_flush_flushes_that_frame_on_its_behalf()
    {
        (FrameConnection gateway, RawPeer device, GatedPipeWriter output) = CreateGated();
        output.Hold();
        Task first = gateway.SendOneWayAsync(Event, new byte[] { 0 }).AsTask();
        await output.FlushEntered.Task.WaitAsync(Bound);

        // The kept writer, while it holds the writer, makes the one queued behind it give up: it leaves its frame
        // unflushed for the one behind it (who never writes, so must flush for it).
        using var giveUp = new CancellationTokenSource();
        Task kept = gateway.SendOneWayAsync(Event, new CancellingPayload(giveUp, 1)).AsTask();
        Task givenUp = gateway.SendOneWayAsync(Event, new byte[] { 2 }, giveUp.Token).AsTask();
        output.Open();

        await kept.WaitAsync(Bound);
        Assert.CatchAsync<OperationCanceledException>(() => givenUp.WaitAsync(Bound));
        List<RawFrame> frames = await device.ReadFramesAsync(2);
        Assert.That(frames.Select(f => (int)f.Payload[0]), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(gateway.Statistics.FramesSent, Is.EqualTo(2));
    }

    [Test]
    public async Task Every_frame_whose_send_completed_arrives_under_random_cancellation_and_back_pressure()
    {
        const int Writers = 4;
        const int PerWriter = 300;
        var pipeOptions = new PipeOptions(pauseWriterThreshold: 200, resumeWriterThreshold: 100);
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(pipeOptions: pipeOptions);
        var completed = new System.Collections.Concurrent.ConcurrentBag<int>();
        int cancelledCount = 0;

        Task[] writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            for (int i = 0; i < PerWriter; i++)
            {
                int id = (w * PerWriter) + i;
                byte[] payload = new byte[4 + random.Next(0, 40)];
                BinaryPrimitives.WriteInt32LittleEndian(payload, id);
                using var cts = new CancellationTokenSource();
                if (random.Next(4) == 0)
                {
                    cts.Cancel();
                }

                ValueTask send = gateway.SendOneWayAsync(Event, payload, cts.Token);
                if (random.Next(4) == 0)
                {
                    await Task.Yield();
                    cts.Cancel();
                }

                try
                {
                    await send;
                    completed.Add(id);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelledCount);
                }
            }
        })).ToArray();

        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));

        // No new write comes to flush anything left behind: every completed send must already be on its way.
        List<RawFrame> frames = await device.ReadFramesAsync(completed.Count);
        var received = frames.Select(f => BinaryPrimitives.ReadInt32LittleEndian(f.Payload)).ToList();
        TestContext.Out.WriteLine($"completed {completed.Count}, cancelled {cancelledCount}");
        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EquivalentTo(completed));
            Assert.That(completed.Count + cancelledCount, Is.EqualTo(Writers * PerWriter));
            Assert.That(cancelledCount, Is.GreaterThan(0));
            Assert.That(gateway.Statistics.FramesSent, Is.EqualTo(completed.Count));
        });
    }

    [Test]
    public async Task A_payload_over_the_limit_is_refused_with_nothing_sent_and_the_writer_keeps_working()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(o => o.MaxPayloadLength = 32);
        ArgumentException oneWay = Assert.ThrowsAsync<ArgumentException>(() => gateway.SendOneWayAsync(Event, new byte[33]).AsTask())!;
        Assert.That(oneWay.Message, Does.Contain("33").And.Contain("32").And.Contain("gw").And.Contain("nothing was sent"));
        ArgumentException request = Assert.ThrowsAsync<ArgumentException>(() => gateway.SendRequestAsync(0x55, new byte[32]).AsTask())!;
        Assert.That(request.Message, Does.Contain("33"));

        Task<Response> call = gateway.SendRequestAsync(0x55, new byte[31]).AsTask();
        RawFrame frame = await device.ReadFrameAsync();
        Assert.That(frame.Payload, Has.Length.EqualTo(32));
        await device.ReplyAsync(frame, 0);
        (await call.WaitAsync(Bound)).Dispose();
        await gateway.SendOneWayAsync(Event, new byte[32]);
        Assert.That((await device.ReadFrameAsync()).Payload, Has.Length.EqualTo(32));
        Assert.That(gateway.Statistics.FramesSent, Is.EqualTo(2));
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1), "the refused request was not sent, so it is not counted as sent");
    }

    [Test]
    public async Task Close_cancels_a_flush_that_is_held_and_fails_the_writers_queued_behind_it()
    {
        (FrameConnection gateway, _, GatedPipeWriter output) = CreateGated();
        output.Hold();
        Task first = gateway.SendOneWayAsync(Event, new byte[] { 0 }).AsTask();
        await output.FlushEntered.Task.WaitAsync(Bound);
        Task[] queued = Enumerable.Range(1, 5).Select(i => gateway.SendOneWayAsync(Event, new[] { (byte)i }).AsTask()).ToArray();

        await gateway.CloseAsync().AsTask().WaitAsync(Bound);

        foreach (Task t in queued)
        {
            Assert.ThrowsAsync<ConnectionClosedException>(() => t.WaitAsync(Bound));
        }

        // The first frame was committed to the transport before its flush was held; its send is not failed for that.
        await first.WaitAsync(Bound);
    }

    [Test]
    public async Task Requests_behind_a_flush_stuck_on_back_pressure_still_time_out_at_their_deadline_and_are_not_sent_after()
    {
        (FrameConnection gateway, RawPeer device, GatedPipeWriter output) = CreateGated(o => o.RequestTimeout = TimeSpan.FromSeconds(1));
        output.Hold(); // the peer stops reading: the next flush waits
        Task<Response> flusher = gateway.SendRequestAsync(0x55, new byte[] { 1 }).AsTask();
        await output.FlushEntered.Task.WaitAsync(Bound);
        Task<Response>[] queued = Enumerable.Range(2, 5).Select(i => gateway.SendRequestAsync(0x55, new[] { (byte)i }).AsTask()).ToArray();

        Clock.Advance(TimeSpan.FromSeconds(1));
        foreach (Task<Response> request in queued.Prepend(flusher))
        {
            Assert.ThrowsAsync<RequestTimeoutException>(() => request.WaitAsync(Bound));
        }

        output.Open(); // the peer reads again: only the frame written before the deadline goes out
        Task<Response> next = gateway.SendRequestAsync(0x55, new byte[] { 9 }).AsTask();
        List<RawFrame> frames = await device.ReadFramesAsync(2);
        Assert.That(frames.Select(f => f.Body[0]), Is.EqualTo(new byte[] { 1, 9 }));
        await device.ReplyAsync(frames[1], 0);
        (await next.WaitAsync(Bound)).Dispose();
        ConnectionStatistics s = gateway.Statistics;
        Assert.Multiple(() =>
        {
            Assert.That(s.FramesSent, Is.EqualTo(2));
            Assert.That(s.RequestsSent, Is.EqualTo(2), "the five that timed out waiting for the writer were never sent");
            Assert.That(s.RequestsTimedOut, Is.EqualTo(1), "only the written one timed out unanswered");
            Assert.That(s.RequestsTimedOutUnsent, Is.EqualTo(5));
        });
        Assert.That(queued.Select(q => q.Exception!.InnerException!.Message), Has.All.Contain("for the writer and was not sent"));
    }

    [Test]
    public async Task An_answer_for_a_request_still_waiting_for_the_writer_is_unmatched_and_the_request_still_times_out()
    {
        (TestDuplexPipe a, TestDuplexPipe b) = TestDuplexPipe.CreatePair();
        var output = new GatedPipeWriter(a.Output);
        RawPeer device = Track(new RawPeer(b));
        FrameConnection gateway = Track(new FrameConnection(new TestDuplexPipe(a.Input, output), options: Options("gw", o => o.RequestTimeout = TimeSpan.FromSeconds(1))));
        gateway.Start();
        output.Hold();
        Task<Response> flusher = gateway.SendRequestAsync(0x55, new byte[] { 1 }).AsTask(); // seq 0: written, its flush held
        await output.FlushEntered.Task.WaitAsync(Bound);
        Task<Response> queued = gateway.SendRequestAsync(0x55, new byte[] { 2 }).AsTask(); // seq 1: waits for the writer

        await device.SendAsync(0x55 | 0x80, 1, 0, 0xEE); // an answer for seq 1, which the device cannot have seen
        await a.ObservedInput.WaitForConsumedAsync(5 + 3).WaitAsync(Bound); // the framing, then seq, status and one body byte
        Assert.Multiple(() =>
        {
            Assert.That(queued.IsCompleted, Is.False, "a request that was not written cannot have been answered");
            Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));
        });
        Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.ThrowsAsync<RequestTimeoutException>(() => flusher.WaitAsync(Bound));
        RequestTimeoutException error = Assert.ThrowsAsync<RequestTimeoutException>(() => queued.WaitAsync(Bound))!;
        output.Open();
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Does.Contain("seq 1").And.Contain("was not sent"));
            Assert.That(gateway.Statistics.FramesSent, Is.EqualTo(1));
        });
    }

    private (FrameConnection Gateway, RawPeer Device, GatedPipeWriter Output) CreateGated(Action<FrameConnectionOptions>? configure = null)
    {
        (TestDuplexPipe a, TestDuplexPipe b) = TestDuplexPipe.CreatePair();
        var output = new GatedPipeWriter(a.Output);
        RawPeer device = Track(new RawPeer(b));
        FrameConnection gateway = Track(new FrameConnection(new TestDuplexPipe(a.Input, output), options: Options("gw", configure)));
        gateway.Start();
        return (gateway, device, output);
    }

    /// <summary>A one-byte payload that cancels <paramref name="cancel"/> while it is written (under the writer).</summary>
    private readonly struct CancellingPayload(CancellationTokenSource cancel, byte value) : IFramePayload
    {
        public int MaxLength => 1;

        public int WriteTo(Span<byte> destination)
        {
            cancel.Cancel();
            destination[0] = value;
            return 1;
        }
    }
}
