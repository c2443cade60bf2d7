using System.IO.Pipelines;
using Mcp.Frames.Framing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// PROTOCOL.md §1.1 rule 5 (stall recovery) through <see cref="FrameReader"/> with a <see cref="FakeTimeProvider"/>.
/// No sleeps: the test waits for the read loop's <c>AdvanceTo</c> (so the loop has seen the bytes and armed its
/// timer) before moving the clock; the fake clock fires timers synchronously inside <c>Advance</c>, so whether the
/// loop was woken (<c>CancelPendingRead</c>) is known as soon as <c>Advance</c> returns.
/// </summary>
[TestFixture]
public class FrameReaderStallTests
{
    private static readonly TimeSpan StallTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private static readonly byte[] Ping = FrameWriter.ToArray(0x02, [0x07]);

    // A real frame, cmd 0x10 with payload 01 02 03 04: 5A 10 04 00 01 02 03 04 4A.
    private static readonly byte[] Real = FrameWriter.ToArray(0x10, [0x01, 0x02, 0x03, 0x04]);

    private sealed class Link
    {
        public Link(TimeSpan? stallTimeout)
        {
            Pipe = new Pipe();
            Recorder = new RecordingPipeReader(Pipe.Reader);
            Reader = new FrameReader(Recorder, new FrameParser(), new FrameReaderOptions { StallTimeout = stallTimeout, TimeProvider = Clock });
        }

        public FakeTimeProvider Clock { get; } = new();

        public Pipe Pipe { get; }

        public RecordingPipeReader Recorder { get; }

        public FrameReader Reader { get; }

        public FrameParserCounters Counters => Reader.Parser.Counters;

        public async Task<Advance> WriteAsync(byte[] bytes)
        {
            await Pipe.Writer.WriteAsync(bytes);
            return await Recorder.NextAdvanceAsync();
        }
    }

    [Test]
    public async Task A_len_that_claims_more_than_arrives_stalls_and_the_following_frame_is_delivered()
    {
        // The len byte of the real frame reads 0x40 instead of 0x04: the candidate claims 69 bytes, 15 arrive.
        byte[] corrupt = [.. Real];
        corrupt[2] = 0x40;
        var link = new Link(StallTimeout);
        var sink = new ChannelSink();
        Task<bool> run = link.Reader.RunAsync(sink);

        Advance waiting = await link.WriteAsync([.. corrupt, .. Ping]);

        Assert.That(waiting, Is.EqualTo(new Advance(15, 0, true, false, false)), "the candidate waits; nothing consumed");
        Assert.That(link.Reader.Parser.HasPendingCandidate, Is.True);

        link.Clock.Advance(StallTimeout - TimeSpan.FromMilliseconds(1));
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.Zero, "not yet stalled");
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 0, 0)));

        link.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.EqualTo(1), "the stall timer woke the loop");

        Assert.That((await sink.NextAsync()).Text, Is.EqualTo("02:07"));
        Assert.That(await link.Recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(15, 15, true, true, false)));

        // The header is dropped as stalled; 10 40 00 01 02 03 04 4A are skipped; the PING is delivered.
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(8, 0, 0, 0, 1, 1, 6)));

        await link.Pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True);
        Assert.That(link.Counters.Stalled, Is.EqualTo(1));
        Assert.That(link.Recorder.Completions, Is.EqualTo(1));
    }

    [Test]
    public async Task A_frame_that_lost_a_byte_stalls_and_the_next_frame_is_delivered_cleanly()
    {
        byte[] lost = [.. Real[..5], .. Real[6..]]; // payload byte 02 lost: 8 bytes of the 9 the len claims
        var link = new Link(StallTimeout);
        var sink = new ChannelSink();
        Task<bool> run = link.Reader.RunAsync(sink);

        Assert.That(await link.WriteAsync(lost), Is.EqualTo(new Advance(8, 0, true, false, false)));
        link.Clock.Advance(StallTimeout);
        Assert.That(await link.Recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(8, 8, true, true, false)));
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(7, 0, 0, 0, 1, 0, 0)));

        // Without rule 5 the PING's first byte would have completed the broken candidate; now it starts clean.
        Assert.That(await link.WriteAsync(Ping), Is.EqualTo(new Advance(6, 6, true, false, false)));
        Assert.That((await sink.NextAsync()).Text, Is.EqualTo("02:07"));
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(7, 0, 0, 0, 1, 1, 6)));

        await link.Pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True);
    }

    [Test]
    public async Task The_stall_timer_restarts_whenever_a_byte_arrives()
    {
        var link = new Link(StallTimeout);
        var sink = new ChannelSink();
        Task<bool> run = link.Reader.RunAsync(sink);
        TimeSpan most = StallTimeout - TimeSpan.FromMilliseconds(10);

        Assert.That(await link.WriteAsync(Real[..3]), Is.EqualTo(new Advance(3, 0, true, false, false)));
        link.Clock.Advance(most);
        Assert.That(await link.WriteAsync(Real[3..6]), Is.EqualTo(new Advance(6, 0, true, false, false)));
        link.Clock.Advance(most);
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.Zero, "80 ms since the first byte, but only 40 since the last");

        Assert.That(await link.WriteAsync(Real[6..]), Is.EqualTo(new Advance(9, 9, true, false, false)));
        Assert.That((await sink.NextAsync()).Text, Is.EqualTo("10:01020304"));

        // Idle with nothing pending: the timer is off.
        link.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.Zero);
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, 9)));

        // A new partial frame, then silence: stalled exactly one timeout after its last byte.
        Assert.That(await link.WriteAsync(Real[..6]), Is.EqualTo(new Advance(6, 0, true, false, false)));
        link.Clock.Advance(most);
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.Zero);
        link.Clock.Advance(StallTimeout - most);
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.EqualTo(1));
        Assert.That(await link.Recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(6, 6, true, true, false)));
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(5, 0, 0, 0, 1, 1, 9)));

        await link.Pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True);
    }

    [Test]
    public async Task Candidates_inside_a_stalled_candidate_that_are_incomplete_too_are_stalled_at_once()
    {
        // 5A 10 40 00 | 5A 11 30 00 01 02: two candidates, both claiming more than arrived. Once the line has been
        // silent for the timeout, the re-scan finds the second one already silent for as long.
        var link = new Link(StallTimeout);
        Task<bool> run = link.Reader.RunAsync(new ChannelSink());

        Assert.That(await link.WriteAsync([0x5A, 0x10, 0x40, 0x00, 0x5A, 0x11, 0x30, 0x00, 0x01, 0x02]), Is.EqualTo(new Advance(10, 0, true, false, false)));
        link.Clock.Advance(StallTimeout);

        Assert.That(await link.Recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(10, 10, true, true, false)));
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(8, 0, 0, 0, 2, 0, 0)));
        await link.Pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True);
    }

    [Test]
    public async Task Stall_recovery_through_ReadAllAsync()
    {
        byte[] corrupt = [.. Real];
        corrupt[2] = 0x40;
        var link = new Link(StallTimeout);
        var received = new List<string>();
        Task consume = Task.Run(async () =>
        {
            await foreach (Frame frame in link.Reader.ReadAllAsync())
            {
                received.Add(SampleFrames.Text(frame.Command, frame.Payload.ToArray()));
            }
        });

        Assert.That(await link.WriteAsync([.. corrupt, .. Ping]), Is.EqualTo(new Advance(15, 0, true, false, false)));
        link.Clock.Advance(StallTimeout);
        Assert.That(await link.Recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(15, 15, true, true, false)));

        await link.Pipe.Writer.CompleteAsync();
        await consume.WaitAsync(Deadline);
        Assert.That(received, Is.EqualTo(new[] { "02:07" }));
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(8, 0, 0, 0, 1, 1, 6)));
    }

    [Test]
    public async Task Without_a_stall_timeout_a_candidate_waits_until_the_end_of_the_stream()
    {
        byte[] corrupt = [.. Real];
        corrupt[2] = 0x40;
        var link = new Link(stallTimeout: null);
        var sink = new ChannelSink();
        Task<bool> run = link.Reader.RunAsync(sink);

        Assert.That(await link.WriteAsync([.. corrupt, .. Ping]), Is.EqualTo(new Advance(15, 0, true, false, false)));
        link.Clock.Advance(TimeSpan.FromHours(1));
        Assert.That(link.Recorder.CancelPendingReadCalls, Is.Zero);
        Assert.That(sink.Count, Is.Zero);

        // Rule 6 at the end: the candidate is truncated and the PING inside its claimed span delivered.
        await link.Pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True);
        Assert.That(sink.Drain(), Is.EqualTo(new[] { "02:07" }));
        Assert.That(link.Counters, Is.EqualTo(new FrameParserCounters(8, 0, 0, 1, 0, 1, 6)));
    }

    [Test]
    public void DiscardStalledCandidate_without_a_pending_candidate_does_nothing()
    {
        var parser = new FrameParser();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(Ping);

        Assert.That(parser.DiscardStalledCandidate(ref buffer), Is.False);
        Assert.That(buffer.Length, Is.EqualTo(6));
        Assert.That(parser.Counters.Stalled, Is.Zero);
    }

    [Test]
    public void DiscardStalledCandidate_drops_the_header_and_the_rest_is_parsed_again()
    {
        byte[] corrupt = [.. Real];
        corrupt[2] = 0x40;
        var parser = new FrameParser();
        var buffer = new System.Buffers.ReadOnlySequence<byte>([.. corrupt, .. Ping]);
        var sink = new CollectingSink();

        parser.ParseAll(ref buffer, ref sink);
        Assert.That(parser.HasPendingCandidate, Is.True);
        Assert.That(parser.DiscardStalledCandidate(ref buffer), Is.True);
        Assert.That(parser.HasPendingCandidate, Is.False);
        Assert.That(buffer.Length, Is.EqualTo(14));
        parser.ParseAll(ref buffer, ref sink);

        Assert.That(sink.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(8, 0, 0, 0, 1, 1, 6)));
    }
}
