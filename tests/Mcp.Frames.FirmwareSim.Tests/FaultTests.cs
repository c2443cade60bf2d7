using System.Buffers;
using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.FirmwareSim.Tests.Support;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>Seeded, reproducible faults per direction, injected between the transport and the device's connection.</summary>
public sealed class FaultTests
{
    private static readonly LinkFaults Mixed = new()
    {
        CorruptByte = 0.01,
        DropByte = 0.005,
        DropFrame = 0.1,
        DuplicateFrame = 0.1,
        Garbage = 0.1,
        ChunkBytes = 5,
    };

    [Test]
    public async Task The_same_seed_gives_the_same_faults_however_the_bytes_were_split()
    {
        byte[][] frames = FaultHarness.Frames(300);

        (byte[] whole, string countersWhole) = await RunOutboundAsync(new FaultSettings { Seed = 42, Outbound = Mixed }, frames, flushEach: false);
        (byte[] split, string countersSplit) = await RunOutboundAsync(new FaultSettings { Seed = 42, Outbound = Mixed }, frames, flushEach: true);
        (byte[] other, _) = await RunOutboundAsync(new FaultSettings { Seed = 43, Outbound = Mixed }, frames, flushEach: false);

        Assert.That(split, Is.EqualTo(whole));
        Assert.That(countersSplit, Is.EqualTo(countersWhole));
        Assert.That(other, Is.Not.EqualTo(whole));
        Assert.That(whole, Is.Not.EqualTo(frames.SelectMany(f => f).ToArray()), "faults were injected");
    }

    [Test]
    public async Task The_same_seed_gives_the_same_request_faults()
    {
        McpStatus[] first = await BusyPatternAsync(seed: 5);
        McpStatus[] again = await BusyPatternAsync(seed: 5);
        McpStatus[] other = await BusyPatternAsync(seed: 6);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
        Assert.That(first, Does.Contain(McpStatus.Busy).And.Contain(McpStatus.Ok));
    }

    [Test]
    public async Task Drop_frame_drops_whole_frames()
    {
        byte[][] frames = FaultHarness.Frames(20);
        await using var harness = new FaultHarness(new FaultSettings { Outbound = new LinkFaults { DropFrame = 1 } });

        Assert.That(await harness.SendOutboundAsync(frames), Is.Empty);
        Assert.That(harness.Controller.Counters.FramesDropped, Is.EqualTo(20));
    }

    [Test]
    public async Task Duplicate_sends_every_frame_twice()
    {
        byte[][] frames = FaultHarness.Frames(10);
        await using var harness = new FaultHarness(new FaultSettings { Inbound = new LinkFaults { DuplicateFrame = 1 } });

        byte[] received = await harness.SendInboundAsync(frames);

        Assert.That(received, Is.EqualTo(frames.SelectMany(f => f.Concat(f)).ToArray()));
        Assert.That(harness.Controller.Counters.FramesDuplicated, Is.EqualTo(10));
    }

    [Test]
    public async Task Corrupt_and_drop_byte_act_on_single_bytes()
    {
        byte[] frames = FaultHarness.Frames(10).SelectMany(f => f).ToArray();
        await using (var corrupt = new FaultHarness(new FaultSettings { Outbound = new LinkFaults { CorruptByte = 1 } }))
        {
            byte[] received = await corrupt.SendOutboundAsync([frames]);
            Assert.That(received, Has.Length.EqualTo(frames.Length));
            Assert.That(received.Zip(frames).All(p => p.First != p.Second), Is.True, "every byte changed");
        }

        await using var drop = new FaultHarness(new FaultSettings { Outbound = new LinkFaults { DropByte = 0.5 } });
        byte[] thinned = await drop.SendOutboundAsync([frames]);
        Assert.That(thinned.Length + drop.Controller.Counters.BytesDropped, Is.EqualTo(frames.Length));
        Assert.That(thinned.Length, Is.InRange(frames.Length / 4, frames.Length * 3 / 4));
    }

    [Test]
    public async Task Garbage_goes_between_frames_and_the_receiver_still_finds_them()
    {
        byte[][] frames = FaultHarness.Frames(50);
        await using var harness = new FaultHarness(new FaultSettings { Seed = 3, Outbound = new LinkFaults { Garbage = 1, GarbageMaxBytes = 3 } });

        byte[] received = await harness.SendOutboundAsync(frames);

        long garbage = harness.Controller.Counters.GarbageBytes;
        Assert.That(garbage, Is.InRange(50, 150));
        Assert.That(received, Has.Length.EqualTo(frames.Sum(f => f.Length) + garbage));
        var parser = new FrameParser(1024);
        var buffer = new ReadOnlySequence<byte>(received);
        int found = 0;
        while (parser.TryParse(ref buffer, out Frame _, isCompleted: true))
        {
            found++;
        }

        Assert.That(found, Is.EqualTo(50), "PROTOCOL.md §1.1: the hunt skips the garbage");
    }

    [Test]
    public async Task Delay_holds_frames_back_on_the_device_clock()
    {
        var clock = new TestClock();
        await using var harness = new FaultHarness(new FaultSettings { Outbound = new LinkFaults { Delay = TimeSpan.FromMilliseconds(100) } }, clock);
        byte[] frame = FaultHarness.Frames(1)[0];

        harness.Device.Output.Write(frame);
        await harness.Device.Output.FlushAsync().Within();
        await clock.WaitForArmedAsync(TimeSpan.FromMilliseconds(100));

        Assert.That(harness.Peer.Input.TryRead(out _), Is.False, "held back while the clock stands still");
        clock.Advance(TimeSpan.FromMilliseconds(100));
        var result = await harness.Peer.Input.ReadAsync().Within();
        Assert.That(result.Buffer.ToArray(), Is.EqualTo(frame));
        harness.Peer.Input.AdvanceTo(result.Buffer.End);
    }

    [Test]
    public async Task Chunking_splits_writes_with_gaps_on_the_device_clock()
    {
        var clock = new TestClock();
        TimeSpan gap = TimeSpan.FromMilliseconds(10);
        await using var harness = new FaultHarness(new FaultSettings { Outbound = new LinkFaults { ChunkBytes = 2, ChunkGap = gap } }, clock);
        byte[] frame = FrameWriter.ToArray(0x82, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

        harness.Device.Output.Write(frame);
        await harness.Device.Output.FlushAsync().Within();
        var received = new List<byte>();
        int gaps = 0;
        while (received.Count < frame.Length)
        {
            var result = await harness.Peer.Input.ReadAsync().Within();
            received.AddRange(result.Buffer.ToArray());
            harness.Peer.Input.AdvanceTo(result.Buffer.End);
            if (received.Count < frame.Length)
            {
                await clock.WaitForArmedAsync(gap, ++gaps);
                Assert.That(received.Count, Is.LessThanOrEqualTo(2 * gaps), "at most one chunk of at most 2 bytes per gap");
                clock.Advance(gap);
            }
        }

        Assert.That(received, Is.EqualTo(frame));
        Assert.That(gaps, Is.InRange(frame.Length / 2, frame.Length - 1));
    }

    [Test]
    public async Task Disconnect_after_N_frames_closes_a_TCP_link()
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.Tcp, configure: o => o.Faults = new FaultSettings { Outbound = new LinkFaults { DisconnectAfterFrames = 3 } }).Within();
        await using SimClient client = await SimClient.ConnectAsync(host, LinkKind.Tcp);

        await client.Mcp.HelloAsync().Within();
        await client.Mcp.PingAsync().Within();
        await client.Mcp.PingAsync().Within();

        ConnectionClosedInfo closed = await client.Connection.Completion.Within();
        Assert.That(closed.Reason, Is.EqualTo(ConnectionCloseReason.RemoteClosed));
        Assert.That(host.Faults.Counters.Disconnects, Is.EqualTo(1));
        await using SimClient again = await SimClient.ConnectAsync(host, LinkKind.Tcp);
        await again.Mcp.PingAsync().Within();
    }

    [Test]
    public async Task Disconnect_on_a_pty_starts_a_fresh_session_on_the_same_line()
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.Pty, configure: o => o.Faults = new FaultSettings { Outbound = new LinkFaults { DisconnectAfterFrames = 2 } }).Within();
        await using SimClient client = await SimClient.ConnectAsync(host, LinkKind.Pty);
        var reopened = new TaskCompletionSource<SimLinkInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.LinkOpened += link =>
        {
            if (link.Number == 1)
            {
                reopened.TrySetResult(link);
            }
        };

        await client.Mcp.PingAsync().Within();
        await client.Mcp.PingAsync().Within();
        Assert.That((await reopened.Task.Within()).Number, Is.EqualTo(1), "the line is served again");
        host.Faults.Clear();
        SimRequestRecordAwaiter next = new(host, 3);
        await client.Mcp.PingAsync().Within();

        Assert.That(client.Connection.IsOpen, Is.True, "a serial line stays open");
        Assert.That((await next.Task).LinkNumber, Is.EqualTo(1), "answered by a new session");
        Assert.That(host.Faults.Counters.Disconnects, Is.EqualTo(1));
    }

    [Test]
    public async Task Inbound_faults_reach_the_device_duplicated_requests_are_answered_twice()
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, configure: o => o.Faults = new FaultSettings { Inbound = new LinkFaults { DuplicateFrame = 1 } }).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());

        await client.Mcp.PingAsync(new byte[] { 7 }).Within();

        await new SimRequestRecordAwaiter(host, 2).Task;
        IReadOnlyList<Device.SimRequestRecord> pings = host.Requests.Snapshot();
        Assert.That(pings.Select(r => (r.CommandName, r.Seq)).Distinct().Count(), Is.EqualTo(1), "the same request, twice");
    }

    [Test]
    public async Task Silence_drops_everything_for_a_while_on_the_device_clock()
    {
        var clock = new TestClock();
        await using SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, clock).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());
        var once = new RequestOptions { Timeout = TimeSpan.FromMilliseconds(200), MaxRetries = 0 };

        host.Faults.SilenceFor(TimeSpan.FromSeconds(1));

        Assert.That(host.Faults.IsSilent, Is.True);
        Assert.ThrowsAsync<RequestTimeoutException>(() => client.Mcp.PingAsync(options: once).Within());

        // The device drops the PING when its fault pump gets to it, not when it was sent: the client's 200 ms (real
        // time) do not mean it has. End the silence only once it was dropped.
        await Bounded.UntilAsync(() => host.Faults.Counters.FramesSilenced >= 1, "the PING is dropped by the silence");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(host.Faults.IsSilent, Is.False);
        await client.Mcp.PingAsync().Within();
        Assert.That(host.Faults.Counters.FramesSilenced, Is.EqualTo(1));
    }

    [Test]
    public void A_silence_schedule_repeats()
    {
        var schedule = new SilenceSchedule(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(1000));

        bool[] silent = [.. new[] { 0, 499, 500, 599, 600, 1499, 1500, 1550, 1600 }.Select(ms => schedule.IsSilentAt(TimeSpan.FromMilliseconds(ms)))];

        Assert.That(silent, Is.EqualTo(new[] { false, false, true, true, false, false, true, true, false }));
    }

    [Test]
    public async Task Slow_answers_wait_on_the_device_clock()
    {
        var clock = new TestClock();
        await using SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, clock, configure: o => o.Faults = new FaultSettings { Slow = TimeSpan.FromMilliseconds(500) }).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());

        Task<TimeSpan> ping = client.Mcp.PingAsync();
        await clock.WaitForArmedAsync(TimeSpan.FromMilliseconds(500));

        Assert.That(ping.IsCompleted, Is.False);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        await ping.Within();
        Assert.That(host.Faults.Counters.SlowAnswers, Is.EqualTo(1));
    }

    [Test]
    public async Task The_fault_flags_of_the_command_line_become_the_running_faults()
    {
        using var stop = new CancellationTokenSource();
        FaultSettings? running = null;
        string[] args =
        [
            "--tcp", "127.0.0.1:0", "--seed", "9", "--corrupt", "0.01", "--drop-frame-out", "0.5", "--delay-in", "20", "--jitter", "5",
            "--chunk", "3", "--chunk-gap", "1", "--garbage", "0.2", "--garbage-max", "4", "--duplicate-in", "0.3", "--drop-byte", "0.001",
            "--disconnect-after-out", "100", "--busy", "0.25", "--slow", "30", "--slow-jitter", "10", "--silent-after", "1000", "--silent-for", "200", "--silent-every", "5000",
            "--log-level", "none",
        ];

        int exit = await Mcp.Frames.FirmwareSim.CommandLine.SimCommandLine.RunAsync(args, TextWriter.Null, TextWriter.Null, stop.Token, host =>
        {
            running = host.Faults.Current;
            stop.Cancel();
        }).Within();

        Assert.That(exit, Is.Zero);
        Assert.That(running, Is.Not.Null);
        Assert.That(running!.Seed, Is.EqualTo(9));
        Assert.That(running.Inbound, Is.EqualTo(new LinkFaults { CorruptByte = 0.01, Delay = TimeSpan.FromMilliseconds(20), Jitter = TimeSpan.FromMilliseconds(5), ChunkBytes = 3, ChunkGap = TimeSpan.FromMilliseconds(1), Garbage = 0.2, GarbageMaxBytes = 4, DuplicateFrame = 0.3, DropByte = 0.001 }));
        Assert.That(running.Outbound, Is.EqualTo(new LinkFaults { CorruptByte = 0.01, DropFrame = 0.5, Jitter = TimeSpan.FromMilliseconds(5), ChunkBytes = 3, ChunkGap = TimeSpan.FromMilliseconds(1), Garbage = 0.2, GarbageMaxBytes = 4, DropByte = 0.001, DisconnectAfterFrames = 100 }));
        Assert.That((running.Busy, running.Slow, running.SlowJitter), Is.EqualTo((0.25, TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(10))));
        Assert.That(running.Silence, Is.EqualTo(new SilenceSchedule(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5))));
    }

    [Test]
    public void Faults_in_the_definition_file_are_read_per_direction()
    {
        DeviceDefinition definition = DeviceDefinition.Parse("""
            { "deviceId": "f", "firmware": "1.0.0", "modules": [ { "slot": 1, "type": "relay", "name": "r" } ],
              "faults": { "seed": 77, "busy": 0.1, "slowMs": 5, "slowJitterMs": 2,
                "inbound": { "corrupt": 0.001, "dropFrame": 0.02 },
                "outbound": { "duplicate": 0.05, "delayMs": 10, "jitterMs": 3, "chunkBytes": 8, "chunkGapMs": 1, "garbage": 0.01, "garbageMaxBytes": 2, "dropByte": 0.0001, "disconnectAfterFrames": 1000 },
                "silence": { "afterMs": 100, "forMs": 50, "everyMs": 1000 } } }
            """);

        FaultSettings faults = definition.Faults;
        Assert.That((faults.Seed, faults.Busy, faults.Slow, faults.SlowJitter), Is.EqualTo((77UL, 0.1, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(2))));
        Assert.That(faults.Inbound, Is.EqualTo(new LinkFaults { CorruptByte = 0.001, DropFrame = 0.02 }));
        Assert.That(faults.Outbound, Is.EqualTo(new LinkFaults { DuplicateFrame = 0.05, Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(3), ChunkBytes = 8, ChunkGap = TimeSpan.FromMilliseconds(1), Garbage = 0.01, GarbageMaxBytes = 2, DropByte = 0.0001, DisconnectAfterFrames = 1000 }));
        Assert.That(faults.Silence, Is.EqualTo(new SilenceSchedule(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1))));
    }

    [Test]
    public async Task Faults_are_injected_and_cleared_at_run_time_and_a_retrying_client_gets_through()
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.Tcp).Within();
        await using SimClient client = await SimClient.ConnectAsync(host, LinkKind.Tcp);
        var retrying = new RequestOptions { Idempotent = true, Timeout = TimeSpan.FromMilliseconds(300), MaxRetries = 50, RetryBackoff = TimeSpan.Zero };

        host.Faults.Set(new FaultSettings { Seed = 1, Outbound = new LinkFaults { DropFrame = 0.3 }, Inbound = new LinkFaults { DropFrame = 0.3 } });
        for (int i = 0; i < 3; i++)
        {
            Assert.That(await client.Mcp.ReadAsync(4, 0, 3, retrying).Within(), Is.EqualTo(new[] { 0, 10, 20 }));
        }

        host.Faults.Clear();
        Assert.That(host.Faults.Current, Is.EqualTo(FaultSettings.None with { Seed = 1 }));
        Assert.That(host.Faults.Counters.FramesDropped, Is.GreaterThan(0));
        await client.Mcp.PingAsync(options: new RequestOptions { Timeout = TimeSpan.FromSeconds(2), MaxRetries = 0 }).Within();
    }

    private static async Task<(byte[] Output, string Counters)> RunOutboundAsync(FaultSettings settings, byte[][] frames, bool flushEach)
    {
        await using var harness = new FaultHarness(settings);
        byte[] output = await harness.SendOutboundAsync(frames, flushEach);
        return (output, harness.Controller.Counters.ToString());
    }

    private static async Task<McpStatus[]> BusyPatternAsync(ulong seed)
    {
        await using SimHost host = await SimHosts.StartAsync(LinkKind.InMemory, configure: o => o.Faults = new FaultSettings { Seed = seed, Busy = 0.5 }).Within();
        await using SimClient client = SimClient.Start(host.ConnectInMemory());
        var statuses = new McpStatus[40];
        for (int i = 0; i < statuses.Length; i++)
        {
            statuses[i] = await client.StatusOfAsync(McpCommand.Ping, (byte)i);
        }

        return statuses;
    }

    /// <summary>Completes when the host has logged at least <c>count</c> requests.</summary>
    private sealed class SimRequestRecordAwaiter(SimHost host, long count)
    {
        public Task<Device.SimRequestRecord> Task { get; } = host.Requests.WaitForAsync(r => r.Sequence >= count).Within();
    }

    [Test]
    public async Task A_pump_that_is_never_idle_still_flushes_so_back_pressure_bounds_what_it_holds()
    {
        // Every frame is queued at once and the sink is slow, so the emit queue never runs dry: the pump must flush by
        // size. (It flushed only when idle: a client that pipelined requests without reading made the device hold
        // gigabytes of unflushed answers.)
        byte[][] frames = FaultHarness.Frames(50_000, seed: 3); // about 1.2 MB
        var source = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        foreach (byte[] frame in frames)
        {
            source.Writer.Write(frame);
        }

        await source.Writer.FlushAsync().Within();
        await source.Writer.CompleteAsync();

        var sinkPipe = new Pipe();
        var sink = new SlowRecordingWriter(sinkPipe.Writer);
        // A fault so rare it never fires: the pump then queues frame by frame (with no faults at all it passes whole reads).
        var controller = new FaultController(new FaultSettings { Outbound = new LinkFaults { DropFrame = 1e-12 } }, TimeProvider.System);
        var pump = new FaultPump(source.Reader, sink, controller, static s => s.Outbound, new FaultRandom(1, 1), TimeProvider.System, 1024, null, static () => { });
        Task<byte[]> received = FaultHarness.ReadToEndAsync(sinkPipe.Reader);
        await pump.RunAsync(CancellationToken.None).Within();
        await sinkPipe.Writer.CompleteAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await received, Is.EqualTo(frames.SelectMany(f => f).ToArray()), "every byte, in order");
            Assert.That(controller.Counters.FramesDropped, Is.Zero);
            Assert.That(sink.MostUnflushed, Is.LessThanOrEqualTo((64 * 1024) + 64), "at most the flush threshold and one frame unflushed");
        });
    }

    /// <summary>Records the most bytes written but not flushed, and makes each write take a few microseconds.</summary>
    private sealed class SlowRecordingWriter(PipeWriter inner) : PipeWriter
    {
        public long MostUnflushed { get; private set; }

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            inner.Advance(bytes);
            MostUnflushed = Math.Max(MostUnflushed, inner.UnflushedBytes);
            Thread.SpinWait(200);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
    }
}
