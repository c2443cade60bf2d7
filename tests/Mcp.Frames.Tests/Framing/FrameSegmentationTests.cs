using System.Buffers;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>Frames split at every byte position, fed one byte at a time, and spread over many segments.</summary>
[TestFixture]
public class FrameSegmentationTests
{
    public static IEnumerable<TestCaseData> Samples() =>
        SampleFrames.All().Select(s => new TestCaseData(s.Command, s.Payload).SetArgDisplayNames(s.Name));

    [TestCaseSource(nameof(Samples))]
    public void Split_at_every_position_into_two_segments(byte command, byte[] payload)
    {
        byte[] wire = FrameWriter.ToArray(command, payload);
        for (int cut = 0; cut <= wire.Length; cut++)
        {
            // cut 0 and cut n give an empty first or last segment.
            var parser = new FrameParser(SampleFrames.Limit);
            ReadOnlySequence<byte> buffer = TestSegment.Split(wire, 0, wire.Length, [cut]);
            var sink = new CollectingSink { Input = wire };

            parser.ParseAll(ref buffer, ref sink);

            Assert.That(sink.Texts, Is.EqualTo(new[] { SampleFrames.Text(command, payload) }), $"cut at {cut}");
            Assert.That(buffer.IsEmpty, Is.True, $"cut at {cut}");
            Assert.That(parser.HasPendingCandidate, Is.False, $"cut at {cut}");
            Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, wire.Length)), $"cut at {cut}");
        }
    }

    [TestCaseSource(nameof(Samples))]
    public void Split_at_every_position_into_two_reads(byte command, byte[] payload)
    {
        byte[] wire = FrameWriter.ToArray(command, payload);
        foreach (Layout layout in new[] { Layout.Contiguous, Layout.PerChunk })
        {
            for (int cut = 1; cut < wire.Length; cut++)
            {
                var parser = new FrameParser(SampleFrames.Limit);
                var progress = new List<(int Fed, int Frames, bool Pending)>();

                var frames = StreamFeeder.Feed(parser, wire, [cut, wire.Length], layout, onChunk: (fed, count) => progress.Add((fed, count, parser.HasPendingCandidate)));

                Assert.That(progress, Is.EqualTo(new[] { (cut, 0, true), (wire.Length, 1, false) }), $"{layout}, cut at {cut}");
                Assert.That(frames.Select(f => f.Text), Is.EqualTo(new[] { SampleFrames.Text(command, payload) }));
                Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, wire.Length)), $"{layout}, cut at {cut}");
            }
        }
    }

    [TestCase(Layout.Contiguous, false)]
    [TestCase(Layout.PerChunk, false)]
    [TestCase(Layout.Contiguous, true)]
    [TestCase(Layout.PerChunk, true)]
    public void Every_frame_fed_one_byte_at_a_time(Layout layout, bool useTryParse)
    {
        var (stream, texts, starts) = SampleFrames.Concatenated();
        var parser = new FrameParser(SampleFrames.Limit);
        var deliveredAt = new List<int>();

        var frames = StreamFeeder.Feed(
            parser,
            stream,
            StreamFeeder.OneByteAtATime(stream.Length),
            layout,
            useTryParse: useTryParse,
            onChunk: (fed, count) =>
            {
                while (deliveredAt.Count < count)
                {
                    deliveredAt.Add(fed);
                }
            });

        // Each frame comes out exactly when its last byte goes in.
        int[] ends = starts.Skip(1).Append(stream.Length).ToArray();
        Assert.That(frames.Select(f => f.Text), Is.EqualTo(texts));
        Assert.That(deliveredAt, Is.EqualTo(ends));
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, texts.Count, stream.Length)));
        if (layout == Layout.Contiguous)
        {
            Assert.That(frames.Select(f => f.Start), Is.EqualTo(starts), "contiguous frames are views into the input");
        }
    }

    [Test]
    public void Random_segment_boundaries_over_a_stream_of_frames([Values(1, 2, 3, 4, 5)] int seed)
    {
        var (stream, texts, starts) = SampleFrames.Concatenated();
        var random = new Random(seed);
        for (int round = 0; round < 200; round++)
        {
            var parser = new FrameParser(SampleFrames.Limit);
            int maxSegment = random.Next(1, 80);
            ReadOnlySequence<byte> buffer = TestSegment.RandomSplit(stream, 0, stream.Length, random, maxSegment, allowEmpty: round % 2 == 0);
            var sink = new CollectingSink { Input = stream };

            int count = parser.ParseAll(ref buffer, ref sink);

            Assert.That(count, Is.EqualTo(texts.Count), $"seed {seed} round {round}");
            Assert.That(sink.Texts, Is.EqualTo(texts), $"seed {seed} round {round}");
            Assert.That(buffer.IsEmpty, Is.True);
            Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, texts.Count, stream.Length)));

            // A frame inside one segment is a view into it; a frame across segments is a copy.
            foreach (var (frame, start) in sink.Frames.Zip(starts))
            {
                Assert.That(frame.Start, Is.EqualTo(start).Or.EqualTo(-1));
            }
        }
    }

    [Test]
    public void Random_reads_and_random_segments_over_a_stream_of_frames([Values(11, 12, 13)] int seed)
    {
        var (stream, texts, _) = SampleFrames.Concatenated();
        var random = new Random(seed);
        for (int round = 0; round < 100; round++)
        {
            var parser = new FrameParser(SampleFrames.Limit);
            var chunks = StreamFeeder.RandomChunks(stream.Length, random, random.Next(1, 200));
            Layout layout = (Layout)(round % 3);

            var frames = StreamFeeder.Feed(parser, stream, chunks, layout, random, useTryParse: round % 2 == 0, completeWithLastChunk: round % 4 < 2);

            Assert.That(frames.Select(f => f.Text), Is.EqualTo(texts), $"seed {seed} round {round} {layout}");
            Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, texts.Count, stream.Length)));
        }
    }

    [Test]
    public void Empty_segments_at_the_start_in_the_middle_and_at_the_end()
    {
        byte[] a = FrameWriter.ToArray(0x02, [0x07]);
        byte[] b = FrameWriter.ToArray(0x82, [0x07, 0x00]);
        ReadOnlySequence<byte> buffer = TestSegment.Chain(
        [
            ReadOnlyMemory<byte>.Empty,
            ReadOnlyMemory<byte>.Empty,
            a.AsMemory(0, 2),
            ReadOnlyMemory<byte>.Empty,
            a.AsMemory(2),
            ReadOnlyMemory<byte>.Empty,
            b.AsMemory(0, 1),
            b.AsMemory(1),
            ReadOnlyMemory<byte>.Empty,
        ]);
        var parser = new FrameParser();
        var sink = new CollectingSink();

        parser.ParseAll(ref buffer, ref sink);

        Assert.That(sink.Texts, Is.EqualTo(new[] { "02:07", "82:0700" }));
        Assert.That(buffer.IsEmpty, Is.True);
        Assert.That(parser.HasPendingCandidate, Is.False);
    }

    [Test]
    public void Empty_first_segment_before_an_incomplete_candidate()
    {
        byte[] a = FrameWriter.ToArray(0x02, [0x07]);
        ReadOnlySequence<byte> buffer = TestSegment.Chain([ReadOnlyMemory<byte>.Empty, a.AsMemory(0, 3)]);
        var parser = new FrameParser();
        var sink = new CollectingSink();

        parser.ParseAll(ref buffer, ref sink);

        Assert.That(sink.Frames, Is.Empty);
        Assert.That(parser.HasPendingCandidate, Is.True);
        Assert.That(buffer.Length, Is.EqualTo(3));
    }

    [Test]
    public void A_sink_that_stops_leaves_the_rest_unconsumed()
    {
        var (stream, texts, starts) = SampleFrames.Concatenated();
        var random = new Random(7);
        for (int stopAfter = 1; stopAfter <= texts.Count; stopAfter++)
        {
            var parser = new FrameParser(SampleFrames.Limit);
            ReadOnlySequence<byte> buffer = TestSegment.RandomSplit(stream, 0, stream.Length, random, 40);
            var sink = new CollectingSink { StopAfter = stopAfter };

            int count = parser.ParseAll(ref buffer, ref sink, isCompleted: true);

            int consumed = stopAfter < texts.Count ? starts[stopAfter] : stream.Length;
            Assert.That(count, Is.EqualTo(stopAfter));
            Assert.That(sink.Texts, Is.EqualTo(texts.Take(stopAfter)));
            Assert.That(buffer.Length, Is.EqualTo(stream.Length - consumed), $"stop after {stopAfter}");
            Assert.That(parser.HasPendingCandidate, Is.False);
        }
    }
}
