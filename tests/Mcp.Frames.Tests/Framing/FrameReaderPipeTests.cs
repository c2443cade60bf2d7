using System.IO.Pipelines;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// <see cref="FrameReader"/> over a real <see cref="Pipe"/>, fed in chunks in lock step with the read loop: each chunk
/// is written only after the loop has advanced past the previous one, so every read and every
/// <c>AdvanceTo(consumed, examined)</c> is known exactly. An extra read or advance means the loop spun.
/// </summary>
[TestFixture]
public class FrameReaderPipeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private static (Pipe Pipe, RecordingPipeReader Reader) CreatePipe(int segmentSize) =>
        CreatePipe(new Pipe(new PipeOptions(minimumSegmentSize: segmentSize)));

    private static (Pipe Pipe, RecordingPipeReader Reader) CreatePipe(Pipe pipe) => (pipe, new RecordingPipeReader(pipe.Reader));

    /// <summary>What the loop must do after each chunk: the advance it makes and the frames delivered by then.</summary>
    private static List<(Advance Advance, int Frames)> ExpectedSteps(int[] frameEnds, IReadOnlyList<int> chunkEnds)
    {
        var steps = new List<(Advance, int)>();
        int consumed = 0;
        foreach (int fed in chunkEnds)
        {
            int complete = frameEnds.Count(end => end <= fed);
            int newConsumed = complete == 0 ? 0 : frameEnds[complete - 1];
            steps.Add((new Advance(fed - consumed, newConsumed - consumed, true, false, false), complete));
            consumed = newConsumed;
        }

        return steps;
    }

    [Test]
    public async Task RunAsync_over_a_pipe_fed_in_chunks([Values(16, 4096)] int segmentSize, [Values(1, 2, 3)] int seed)
    {
        var (stream, texts, starts) = SampleFrames.Concatenated();
        int[] frameEnds = starts.Skip(1).Append(stream.Length).ToArray();
        var chunkEnds = StreamFeeder.RandomChunks(stream.Length, new Random(seed), 40);
        var (pipe, recorder) = CreatePipe(segmentSize);
        var reader = new FrameReader(recorder, new FrameParser(SampleFrames.Limit));
        var sink = new ChannelSink();

        Task<bool> run = reader.RunAsync(sink);
        int fed = 0;
        var steps = new List<(Advance, int)>();
        foreach (int end in chunkEnds)
        {
            await pipe.Writer.WriteAsync(stream.AsMemory(fed, end - fed));
            fed = end;
            Advance advance = await recorder.NextAdvanceAsync();
            steps.Add((advance, sink.Count));
        }

        Assert.That(steps, Is.EqualTo(ExpectedSteps(frameEnds, chunkEnds)));

        await pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True, "the stream ended");
        Assert.That(await recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(0, 0, true, false, true)), "the last read drains an empty buffer");
        Assert.That(recorder.Reads, Is.EqualTo(chunkEnds.Count + 1), "one read per chunk and one for the end: no spinning");
        Assert.That(recorder.Completions, Is.EqualTo(1), "the reader is completed");
        Assert.That(recorder.CompletionError, Is.Null);
        Assert.That(sink.Drain(), Is.EqualTo(texts));
        Assert.That(reader.Parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, texts.Count, stream.Length)));
    }

    [Test]
    public async Task ReadAllAsync_over_a_pipe_fed_in_chunks([Values(16, 4096)] int segmentSize, [Values(4, 5)] int seed)
    {
        var (stream, texts, starts) = SampleFrames.Concatenated();
        int[] frameEnds = starts.Skip(1).Append(stream.Length).ToArray();
        var chunkEnds = StreamFeeder.RandomChunks(stream.Length, new Random(seed), 40);
        var (pipe, recorder) = CreatePipe(segmentSize);
        var reader = new FrameReader(recorder, new FrameParser(SampleFrames.Limit));
        var received = new List<string>();
        int count = 0;

        Task consume = Task.Run(async () =>
        {
            await foreach (Frame frame in reader.ReadAllAsync())
            {
                received.Add(SampleFrames.Text(frame.Command, frame.Payload.ToArray()));
                Interlocked.Increment(ref count);
            }
        });

        int fed = 0;
        var steps = new List<(Advance, int)>();
        foreach (int end in chunkEnds)
        {
            await pipe.Writer.WriteAsync(stream.AsMemory(fed, end - fed));
            fed = end;
            Advance advance = await recorder.NextAdvanceAsync();
            steps.Add((advance, Volatile.Read(ref count)));
        }

        Assert.That(steps, Is.EqualTo(ExpectedSteps(frameEnds, chunkEnds)));

        await pipe.Writer.CompleteAsync();
        await consume.WaitAsync(Deadline);
        Assert.That(await recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(0, 0, true, false, true)));
        Assert.That(recorder.Reads, Is.EqualTo(chunkEnds.Count + 1));
        Assert.That(recorder.Completions, Is.EqualTo(1));
        Assert.That(received, Is.EqualTo(texts));
    }

    [Test]
    public async Task An_incomplete_frame_waits_for_new_bytes_without_spinning()
    {
        byte[] frame = FrameWriter.ToArray(0x02, [0x07]);
        var (pipe, recorder) = CreatePipe(4096);
        var reader = new FrameReader(recorder, new FrameParser());
        var sink = new ChannelSink();

        Task<bool> run = reader.RunAsync(sink);
        await pipe.Writer.WriteAsync(frame.AsMemory(0, 3));
        Assert.That(await recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(3, 0, true, false, false)), "nothing consumed, everything examined");
        Assert.That(reader.Parser.HasPendingCandidate, Is.True);

        await pipe.Writer.WriteAsync(frame.AsMemory(3));
        Assert.That(await recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(6, 6, true, false, false)), "the next read saw the whole frame");
        Assert.That((await sink.NextAsync()).Text, Is.EqualTo("02:07"));
        Assert.That(recorder.Reads, Is.EqualTo(3), "two reads with data and the one now waiting");

        await pipe.Writer.CompleteAsync();
        Assert.That(await run.WaitAsync(Deadline), Is.True);
    }

    [Test]
    public async Task At_the_end_of_the_stream_the_buffer_is_drained()
    {
        // Frames, then a candidate that claims more than arrives and holds a whole frame: rule 6 at completion.
        byte[] data = [.. FrameWriter.ToArray(0x01, []), 0x5A, 0x20, 0x40, 0x00, .. FrameWriter.ToArray(0x02, [0x07]), 0xAA];
        var (pipe, recorder) = CreatePipe(4096);
        await pipe.Writer.WriteAsync(data);
        await pipe.Writer.CompleteAsync();
        var reader = new FrameReader(recorder, new FrameParser());
        var sink = new ChannelSink();

        Assert.That(await reader.RunAsync(sink).WaitAsync(Deadline), Is.True);

        Assert.That(sink.Drain(), Is.EqualTo(new[] { "01:", "02:07" }));
        Assert.That(await recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(data.Length, data.Length, true, false, true)));
        Assert.That(recorder.Reads, Is.EqualTo(1));
        Assert.That(recorder.Completions, Is.EqualTo(1));
        Assert.That(reader.Parser.Counters, Is.EqualTo(new FrameParserCounters(4, 0, 0, 1, 0, 2, 11)));
    }

    [Test]
    public async Task ReadAllAsync_drains_the_buffer_at_the_end_of_the_stream()
    {
        byte[] data = [.. FrameWriter.ToArray(0x01, []), 0x5A, 0x20, 0x40, 0x00, .. FrameWriter.ToArray(0x02, [0x07]), 0xAA];
        var (pipe, recorder) = CreatePipe(4096);
        await pipe.Writer.WriteAsync(data);
        await pipe.Writer.CompleteAsync();
        var reader = new FrameReader(recorder, new FrameParser());
        var received = new List<string>();

        await foreach (Frame frame in reader.ReadAllAsync())
        {
            received.Add(SampleFrames.Text(frame.Command, frame.Payload.ToArray()));
        }

        Assert.That(received, Is.EqualTo(new[] { "01:", "02:07" }));
        Assert.That(recorder.Completions, Is.EqualTo(1));
        Assert.That(reader.Parser.Counters, Is.EqualTo(new FrameParserCounters(4, 0, 0, 1, 0, 2, 11)));
    }

    [Test]
    public async Task A_sink_that_stops_ends_the_loop_and_completes_the_reader()
    {
        byte[] a = FrameWriter.ToArray(0x01, []);
        byte[] b = FrameWriter.ToArray(0x02, [0x07]);
        var (pipe, recorder) = CreatePipe(4096);
        var reader = new FrameReader(recorder, new FrameParser());
        var sink = new ChannelSink { StopAfter = 2 };

        Task<bool> run = reader.RunAsync(sink);
        await pipe.Writer.WriteAsync((byte[])[.. a, .. b, .. a]);

        Assert.That(await run.WaitAsync(Deadline), Is.False, "stopped by the sink");
        Assert.That(sink.Drain(), Is.EqualTo(new[] { "01:", "02:07" }));
        Assert.That(await recorder.NextAdvanceAsync(), Is.EqualTo(new Advance(16, 11, true, false, false)), "the third frame is not consumed");
        Assert.That(recorder.Completions, Is.EqualTo(1));
        FlushResult flush = await pipe.Writer.WriteAsync(a);
        Assert.That(flush.IsCompleted, Is.True, "the writer sees that the reader is gone");
    }

    [Test]
    public async Task Cancellation_ends_the_loop_and_completes_the_reader_with_the_error()
    {
        var (pipe, recorder) = CreatePipe(4096);
        var reader = new FrameReader(recorder, new FrameParser());
        using var cts = new CancellationTokenSource();

        Task<bool> run = reader.RunAsync(new ChannelSink(), cts.Token);
        await pipe.Writer.WriteAsync(FrameWriter.ToArray(0x01, []));
        await recorder.NextAdvanceAsync();
        await cts.CancelAsync();

        Assert.That(async () => await run.WaitAsync(Deadline), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(recorder.Completions, Is.EqualTo(1));
        Assert.That(recorder.CompletionError, Is.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public void Options_are_validated()
    {
        var pipe = new Pipe();
        Assert.That(() => new FrameReader(pipe.Reader, new FrameParser(), new FrameReaderOptions { StallTimeout = TimeSpan.Zero }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new FrameReader(pipe.Reader, new FrameParser(), new FrameReaderOptions { StallTimeout = TimeSpan.FromMilliseconds(-1) }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new FrameReader(pipe.Reader, new FrameParser(), new FrameReaderOptions { TimeProvider = null! }), Throws.ArgumentNullException);
        Assert.That(() => new FrameReader(null!, new FrameParser()), Throws.ArgumentNullException);
        Assert.That(() => new FrameReader(pipe.Reader, null!), Throws.ArgumentNullException);
        Assert.That(() => new FrameReader(pipe.Reader, new FrameParser(), new FrameReaderOptions { StallTimeout = TimeSpan.FromMilliseconds(50) }), Throws.Nothing);
    }
}
