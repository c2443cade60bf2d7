using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Mcp.Frames.Connections;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// The <c>Mcp.Frames</c> meter and activity source, seen through a <see cref="MeterListener"/> and an
/// <see cref="ActivityListener"/>: every instrument exists, and each one moves when what it counts happens.
/// </summary>
public class TelemetryTests : ConnectionTestBase
{
    private const byte Vendor = 0x55;
    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(50);

    private static readonly string[] Instruments =
    [
        "mcp.frames.frames.received", "mcp.frames.bytes.received", "mcp.frames.frames.sent", "mcp.frames.bytes.sent",
        "mcp.frames.receiver.skipped", "mcp.frames.receiver.oversize", "mcp.frames.receiver.bad_checksum",
        "mcp.frames.receiver.stalled", "mcp.frames.receiver.truncated",
        "mcp.frames.requests.started", "mcp.frames.requests.completed", "mcp.frames.requests.timed_out",
        "mcp.frames.requests.timed_out_unsent", "mcp.frames.requests.failed", "mcp.frames.responses.unmatched", "mcp.frames.frames.malformed",
        "mcp.frames.requests.rejected", "mcp.frames.control_replies.dropped", "mcp.frames.events.dropped", "mcp.frames.request.duration",
        "mcp.frames.requests.in_flight",
    ];

    [Test]
    public void Every_instrument_is_published_on_the_meter_of_the_connections_meter_factory()
    {
        TestMeterFactory factory = CreateFactory();
        FramesTelemetry telemetry = FramesTelemetry.For(factory);
        using var metrics = new MetricsRecorder(telemetry.Meter);

        Assert.That(telemetry.Meter.Name, Is.EqualTo("Mcp.Frames"));
        Assert.That(telemetry.Meter.Scope, Is.SameAs(factory));
        Assert.That(FramesTelemetry.For(factory), Is.SameAs(telemetry), "one telemetry per factory");
        Assert.That(metrics.Published, Is.EquivalentTo(Instruments));
    }

    [Test]
    public async Task Frame_byte_and_receiver_counters_report_the_connections_counts_while_it_runs_and_after_it_ended()
    {
        TestMeterFactory factory = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(factory).Meter);
        string link = UniqueName("recv");
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateMeteredGateway(link, factory, o =>
        {
            o.MaxPayloadLength = 32;
            o.StallTimeout = Stall;
        });

        await gateway.SendOneWayAsync(McpCommand.Event, new byte[] { 1, 2, 3 });
        await device.ReadFrameAsync();
        IReadOnlyDictionary<(string, string?), long> live = metrics.Collect();
        Assert.That(live[("mcp.frames.frames.sent", link)], Is.EqualTo(1));
        Assert.That(live[("mcp.frames.bytes.sent", link)], Is.EqualTo(5 + 3));

        // One of each: garbage (skipped), a len over the limit (oversize), a bad check, a good frame, then a candidate
        // that stalls (rule 5) and one cut off by the end of the stream (rule 6).
        byte[] badCheck = FrameWriter.ToArray(McpCommand.Event, [1, 2]);
        badCheck[^1] ^= 0x01;
        byte[] good = FrameWriter.ToArray(McpCommand.Event, [1, 0, 0, 0, 0, 0, 0]);
        byte[] incomplete = FrameWriter.ToArray(McpCommand.Event, [1, 2, 3, 4])[..6];
        byte[] first = [0x00, 0x11, 0x5A, 0x01, 0xFF, 0x00, .. badCheck, .. good, .. incomplete];
        await device.SendBytesAsync(first);
        await end.ObservedInput.WaitForExaminedAsync(first.Length);
        Clock.Advance(Stall);
        await end.ObservedInput.WaitForConsumedAsync(first.Length); // the stalled candidate's header discarded, the rest skipped
        await device.SendBytesAsync(incomplete);
        await device.CompleteOutputAsync();
        Assert.That((await gateway.Completion.WaitAsync(Bound)).Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));

        FrameParserCounters counters = gateway.ReceiverCounters;
        ConnectionStatistics statistics = gateway.Statistics;
        Assert.That(counters.SkippedBytes, Is.GreaterThan(0));
        Assert.That(new[] { counters.Oversize, counters.BadChecksum, counters.Stalled, counters.Truncated, counters.Delivered }, Is.All.EqualTo(1), counters.ToString());

        // Ended: its final counts are still reported under its link name.
        IReadOnlyDictionary<(string, string?), long> ended = metrics.Collect();
        Assert.Multiple(() =>
        {
            Assert.That(ended[("mcp.frames.frames.received", link)], Is.EqualTo(1));
            Assert.That(ended[("mcp.frames.bytes.received", link)], Is.EqualTo(good.Length));
            Assert.That(ended[("mcp.frames.frames.sent", link)], Is.EqualTo(statistics.FramesSent));
            Assert.That(ended[("mcp.frames.bytes.sent", link)], Is.EqualTo(statistics.BytesSent));
            Assert.That(ended[("mcp.frames.receiver.skipped", link)], Is.EqualTo(counters.SkippedBytes));
            Assert.That(ended[("mcp.frames.receiver.oversize", link)], Is.EqualTo(1));
            Assert.That(ended[("mcp.frames.receiver.bad_checksum", link)], Is.EqualTo(1));
            Assert.That(ended[("mcp.frames.receiver.stalled", link)], Is.EqualTo(1));
            Assert.That(ended[("mcp.frames.receiver.truncated", link)], Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_link_that_reconnects_keeps_counting_up_and_each_meter_reports_only_its_own_factorys_connections()
    {
        TestMeterFactory mine = CreateFactory();
        TestMeterFactory other = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(mine).Meter);
        using var otherMetrics = new MetricsRecorder(FramesTelemetry.For(other).Meter);
        string link = UniqueName("link");
        string elsewhere = UniqueName("other");

        ConnectedPair first = CreatePair(gateway: o => { o.Name = link; o.MeterFactory = mine; }, device: o => { o.Name = elsewhere; o.MeterFactory = other; });
        for (int i = 0; i < 3; i++)
        {
            await first.Gateway.SendOneWayAsync(McpCommand.Event, new byte[] { 1 });
        }

        IReadOnlyDictionary<(string, string?), long> seen = metrics.Collect();
        Assert.That(seen[("mcp.frames.frames.sent", link)], Is.EqualTo(3));
        Assert.That(seen.Keys.Select(k => k.Item2), Has.None.EqualTo(elsewhere), "the other factory's connection is not on this meter");
        Assert.That(otherMetrics.Collect().Keys.Select(k => k.Item2), Has.None.EqualTo(link), "this factory's connection is not on the other meter");

        await first.Gateway.CloseAsync().AsTask().WaitAsync(Bound);
        ConnectedPair second = CreatePair(gateway: o => { o.Name = link; o.MeterFactory = mine; }, device: o => o.MeterFactory = other);
        await second.Gateway.SendOneWayAsync(McpCommand.Event, new byte[] { 1 });

        Assert.That(metrics.Collect()[("mcp.frames.frames.sent", link)], Is.EqualTo(4), "the ended connection's 3 plus the new one's 1");
    }

    [Test]
    public async Task Ended_links_keep_their_totals_up_to_a_bound_and_the_oldest_is_dropped_first()
    {
        TestMeterFactory factory = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(factory).Meter);
        string prefix = UniqueName("peer");
        var names = new List<string>();

        // One link per peer, as a listener names them: more ended links than the table keeps.
        for (int i = 0; i <= FramesTelemetry.MaxEndedLinks; i++)
        {
            string name = $"{prefix}-{i}";
            names.Add(name);
            ConnectedPair pair = CreatePair(gateway: o => { o.Name = name; o.MeterFactory = factory; });
            await pair.Gateway.SendOneWayAsync(McpCommand.Event, new byte[] { 1 });
            await pair.Gateway.CloseAsync().AsTask().WaitAsync(Bound);
        }

        IReadOnlyDictionary<(string, string?), long> seen = metrics.Collect();
        string?[] reported = [.. seen.Keys.Where(k => k.Item1 == "mcp.frames.frames.sent" && k.Item2!.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k.Item2)];
        Assert.That(reported, Has.Length.EqualTo(FramesTelemetry.MaxEndedLinks));
        Assert.That(reported, Has.None.EqualTo(names[0]), "the link that ended first is dropped");
        Assert.That(seen[("mcp.frames.frames.sent", names[^1])], Is.EqualTo(1));
        Assert.That(seen[("mcp.frames.frames.sent", names[1])], Is.EqualTo(1));
    }

    [Test]
    public async Task Request_counters_the_duration_histogram_the_in_flight_gauge_and_one_activity_per_request_move_with_each_outcome()
    {
        TestMeterFactory factory = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(factory).Meter);
        string link = UniqueName("req");
        var activities = new ConcurrentQueue<Activity>();
        using var activityListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FramesTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.GetTagItem("mcp.link") as string == link)
                {
                    activities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(activityListener);
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateMeteredGateway(link, factory, o =>
        {
            o.RequestTimeout = TimeSpan.FromSeconds(1);
        });

        // Answered OK after 250 ms: started, in flight while it waits, completed, its duration recorded.
        Task<Response> ok = gateway.SendRequestAsync(Vendor, new byte[] { 1 }).AsTask();
        RawFrame okFrame = await device.ReadFrameAsync();
        Assert.That(metrics.Sum("mcp.frames.requests.started", link), Is.EqualTo(1));
        Assert.That(metrics.Sum("mcp.frames.requests.in_flight", link), Is.EqualTo(1));
        Clock.Advance(TimeSpan.FromMilliseconds(250));
        await device.ReplyAsync(okFrame, 0, 7);
        (await ok.WaitAsync(Bound)).Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Sum("mcp.frames.requests.completed", link), Is.EqualTo(1));
            Assert.That(metrics.Values("mcp.frames.request.duration", link), Is.EqualTo(new[] { 0.25 }).Within(1e-9));
            Assert.That(metrics.Sum("mcp.frames.requests.in_flight", link), Is.Zero);
        });

        // No answer: timed out; its late answer is unmatched.
        Task<Response> late = gateway.SendRequestAsync(Vendor, new byte[] { 2 }).AsTask();
        RawFrame lateFrame = await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => late.WaitAsync(Bound));
        Assert.That(metrics.Sum("mcp.frames.requests.timed_out", link), Is.EqualTo(1));
        Assert.That(metrics.Sum("mcp.frames.responses.unmatched", link), Is.Zero);
        long consumed = end.ObservedInput.Consumed;
        await device.ReplyAsync(lateFrame, 0);
        await end.ObservedInput.WaitForConsumedAsync(consumed + 7);
        Assert.That(metrics.Sum("mcp.frames.responses.unmatched", link), Is.EqualTo(1));

        // An error status fails the request (and does not complete it).
        Task<Response> refused = gateway.SendRequestAsync(Vendor, new byte[] { 3 }).AsTask();
        await device.ReplyAsync(await device.ReadFrameAsync(), (byte)McpStatus.UnknownCommand);
        Assert.ThrowsAsync<RemoteStatusException>(() => refused.WaitAsync(Bound));
        Assert.That(metrics.Sum("mcp.frames.requests.failed", link), Is.EqualTo(1));

        // The link ends under a request: failed too.
        Task<Response> cut = gateway.SendRequestAsync(Vendor, new byte[] { 4 }).AsTask();
        await device.ReadFrameAsync();
        Assert.That(metrics.Sum("mcp.frames.requests.in_flight", link), Is.EqualTo(1));
        gateway.Abort("test");
        Assert.ThrowsAsync<ConnectionClosedException>(() => cut.WaitAsync(Bound));

        Assert.Multiple(() =>
        {
            Assert.That(metrics.Sum("mcp.frames.requests.started", link), Is.EqualTo(4));
            Assert.That(metrics.Sum("mcp.frames.requests.completed", link), Is.EqualTo(1));
            Assert.That(metrics.Sum("mcp.frames.requests.timed_out", link), Is.EqualTo(1));
            Assert.That(metrics.Sum("mcp.frames.requests.failed", link), Is.EqualTo(2));
            Assert.That(metrics.Sum("mcp.frames.requests.in_flight", link), Is.Zero);
            Assert.That(metrics.Values("mcp.frames.request.duration", link), Has.Length.EqualTo(2), "the answered requests: OK and UNKNOWN_COMMAND");
        });

        Activity[] requests = [.. activities];
        Assert.That(requests, Has.Length.EqualTo(4), "one activity per request");
        Assert.Multiple(() =>
        {
            Assert.That(requests.Select(a => a.OperationName), Is.All.EqualTo("mcp.request"));
            Assert.That(requests.Select(a => a.Kind), Is.All.EqualTo(ActivityKind.Client));
            Assert.That(requests[0].GetTagItem("mcp.key"), Is.EqualTo($"seq {okFrame.Seq}"));
            Assert.That(requests[0].Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(requests[1].GetTagItem("mcp.key"), Is.EqualTo($"seq {lateFrame.Seq}"));
            Assert.That((requests[1].Status, requests[1].StatusDescription), Is.EqualTo((ActivityStatusCode.Error, "timeout")));
            Assert.That((requests[2].Status, requests[2].StatusDescription), Is.EqualTo((ActivityStatusCode.Error, "UNKNOWN_COMMAND")));
            Assert.That(requests[2].GetTagItem("mcp.status"), Is.EqualTo("UNKNOWN_COMMAND"));
            Assert.That(requests[3].Status, Is.EqualTo(ActivityStatusCode.Error));
        });
    }

    [Test]
    public async Task Dropped_events_malformed_frames_and_refused_requests_are_counted()
    {
        TestMeterFactory factory = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(factory).Meter);
        string link = UniqueName("in");
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateMeteredGateway(link, factory, o =>
        {
            o.HandlerConcurrency = 1;
            o.InboundRequestQueueCapacity = 1;
        });
        using OneWaySubscription events = gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = McpCommand.Event, Capacity = 1, Overflow = OverflowPolicy.DropNewest });
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.MapRequestHandler(Vendor, async (request, ct) =>
        {
            entered.TrySetResult();
            await release.Task.WaitAsync(ct);
            await request.ReplyOkAsync(ct);
        });

        for (int i = 0; i < 3; i++)
        {
            await device.SendAsync(McpCommand.Event, 1, (byte)i);
        }

        await device.SendAsync(Vendor); // a request without seq
        await end.ObservedInput.WaitForConsumedAsync((3 * 7) + 5);
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Sum("mcp.frames.events.dropped", link), Is.EqualTo(2));
            Assert.That(events.Dropped, Is.EqualTo(2));
            Assert.That(metrics.Sum("mcp.frames.frames.malformed", link), Is.EqualTo(1));
        });

        // One request in the handler, one queued, the third refused with BUSY.
        await device.SendAsync(Vendor, 1);
        await entered.Task.WaitAsync(Bound);
        await device.SendAsync(Vendor, 2);
        await device.SendAsync(Vendor, 3);
        RawFrame busy = await device.ReadFrameAsync();
        Assert.That((busy.Seq, busy.Payload[1]), Is.EqualTo(((byte)3, (byte)McpStatus.Busy)));
        Assert.That(metrics.Sum("mcp.frames.requests.rejected", link), Is.EqualTo(1));
        release.TrySetResult();
        Assert.That((await device.ReadFramesAsync(2)).Select(f => f.Seq), Is.EqualTo(new byte[] { 1, 2 }));
    }

    [Test]
    public async Task A_request_that_times_out_waiting_for_a_slot_counts_as_unsent_not_as_an_unanswered_attempt()
    {
        TestMeterFactory factory = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(factory).Meter);
        string link = UniqueName("slot");
        (FrameConnection gateway, RawPeer device, _) = CreateMeteredGateway(link, factory, o =>
        {
            o.MaxInFlight = 1;
            o.RequestTimeout = TimeSpan.FromSeconds(1);
        });
        Task<Response> held = gateway.SendRequestAsync(Vendor, new byte[] { 1 }, new RequestOptions { Timeout = TimeSpan.FromMinutes(1) }).AsTask();
        RawFrame heldFrame = await device.ReadFrameAsync();

        Task<Response> queued = gateway.SendRequestAsync(Vendor, new byte[] { 2 }).AsTask();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => queued.WaitAsync(Bound));

        ConnectionStatistics statistics = gateway.Statistics;
        Assert.Multiple(() =>
        {
            Assert.That(metrics.Sum("mcp.frames.requests.timed_out_unsent", link), Is.EqualTo(1));
            Assert.That(metrics.Sum("mcp.frames.requests.timed_out", link), Is.Zero, "no attempt went unanswered");
            Assert.That(metrics.Sum("mcp.frames.requests.started", link), Is.EqualTo(1));
            Assert.That(statistics.RequestsTimedOutUnsent, Is.EqualTo(1));
            Assert.That(statistics.RequestsTimedOut, Is.Zero);
            Assert.That(statistics.RequestsSent, Is.EqualTo(1));
        });

        await device.ReplyAsync(heldFrame, 0);
        (await held.WaitAsync(Bound)).Dispose();
    }

    [Test]
    public async Task Automatic_replies_dropped_by_a_full_queue_are_counted_and_the_rest_are_sent()
    {
        const int Requests = 300;
        TestMeterFactory factory = CreateFactory();
        using var metrics = new MetricsRecorder(FramesTelemetry.For(factory).Meter);
        string link = UniqueName("control");
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        var output = new GatedPipeWriter(deviceEnd.Output);
        RawPeer gateway = Track(new RawPeer(gatewayEnd));
        FrameConnection device = Track(new FrameConnection(new TestDuplexPipe(deviceEnd.Input, output), options: Options(link, o => o.MeterFactory = factory)));
        device.Start();

        // The device's writer is held: every request for a command with no handler gets an automatic UNKNOWN_COMMAND
        // reply, and the queue of those fills.
        output.Hold();
        for (int seq = 0; seq < Requests; seq++)
        {
            await gateway.SendAsync(Vendor, (byte)seq);
        }

        // Frames are handled in order: once this EVENT reaches its subscriber, every request before it has been.
        using OneWaySubscription marker = device.SubscribeOneWay(new OneWaySubscriptionOptions { Command = McpCommand.Event });
        await gateway.SendAsync(McpCommand.Event, 1);
        Assert.That(await marker.WaitToReadAsync().AsTask().WaitAsync(Bound), Is.True);

        long dropped = device.Statistics.ControlRepliesDropped;
        output.Open();
        var answered = new List<byte>();
        for (long i = 0; i < Requests - dropped; i++)
        {
            RawFrame answer = await gateway.ReadFrameAsync();
            Assert.That(answer.Command, Is.EqualTo(Vendor | 0x80));
            Assert.That(answer.Payload[1], Is.EqualTo((byte)McpStatus.UnknownCommand));
            answered.Add(answer.Payload[0]);
        }

        Assert.Multiple(() =>
        {
            Assert.That(dropped, Is.InRange(Requests - 256 - 2, Requests - 256), "the queue holds 256 (one per MCP/1 seq); the writer had taken one or two");
            Assert.That(answered, Has.Count.EqualTo(Requests - dropped), "every reply not dropped is sent");
            Assert.That(answered.Take(256), Is.Unique, "in order, each once (seqs repeat after 256)");
            Assert.That(metrics.Sum("mcp.frames.control_replies.dropped", link), Is.EqualTo(dropped));
        });
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>A gateway named <paramref name="link"/> on <paramref name="factory"/>'s meter, with a raw device.</summary>
    private (FrameConnection Gateway, RawPeer Device, TestDuplexPipe End) CreateMeteredGateway(string link, TestMeterFactory factory, Action<FrameConnectionOptions> configure) =>
        CreateWithRawDevice(o =>
        {
            o.Name = link;
            o.MeterFactory = factory;
            configure(o);
        });

    private TestMeterFactory CreateFactory()
    {
        var factory = new TestMeterFactory();
        Defer(() =>
        {
            factory.Dispose();
            return ValueTask.CompletedTask;
        });
        return factory;
    }
}
