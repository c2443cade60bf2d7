using System.Buffers;
using System.Diagnostics;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// Property tests with fixed seeds: random valid frames (0x5A everywhere), random corruption (bit flips, inserted
/// garbage, deleted bytes, truncation), every input parsed whole, over random segments, in random reads and one byte
/// at a time. Two oracles, both exact:
/// <list type="number">
/// <item>The real parser's output (frames, positions, counters) equals that of <see cref="ReferenceParser"/>, a naive
/// implementation of the rules, for every input and every segmentation.</item>
/// <item>Every original frame that no corruption touched is delivered at its position, unless a delivered frame
/// overlaps its bytes: a false candidate that passed the XOR check and swallowed it. Those cases are counted and
/// reported, not excused.</item>
/// </list>
/// </summary>
[TestFixture]
public class FramePropertyTests
{
    private const int CasesPerSeed = 3000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    [Test]
    public void Random_corruption_matches_the_reference_and_never_loses_an_untouched_frame([Values(20240501, 777, 4242)] int seed)
    {
        var stopwatch = Stopwatch.StartNew();
        int cases = 0, originals = 0, untouched = 0, swallowed = 0, falseFrames = 0, byteAtATime = 0;
        long bytes = 0;
        var totals = new FrameParserCounters();
        for (; cases < CasesPerSeed && stopwatch.Elapsed < Budget; cases++)
        {
            int caseSeed = unchecked((seed * 1_000_003) + cases);
            var random = new Random(caseSeed);
            var stream = CorruptedStream.Generate(random);
            string context = $"seed {seed}, case {cases} (case seed {caseSeed}): {stream}";
            byte[] data = stream.Data;
            int limit = stream.MaxPayloadLength;

            // Oracle 1: the naive reference.
            var reference = ReferenceParser.Parse(data, limit, isCompleted: true);
            var expected = reference.Frames.Select(f => f.ToString()).ToList();
            var expectedTexts = reference.Frames.Select(f => f.Text).ToList();
            Assert.That(reference.Consumed, Is.EqualTo(data.Length), context);

            // Every byte is accounted for exactly once.
            FrameParserCounters c = reference.Counters;
            Assert.That(c.SkippedBytes + c.Oversize + c.BadChecksum + c.Truncated + c.Stalled + c.DeliveredBytes, Is.EqualTo(data.Length), context);

            // Whole, one segment: same frames at the same positions (views into the input), same counters.
            var parser = new FrameParser(limit);
            var buffer = new ReadOnlySequence<byte>(data);
            var sink = new CollectingSink { Input = data };
            parser.ParseAll(ref buffer, ref sink, isCompleted: true);
            Assert.That(sink.Frames.Select(f => f.ToString()), Is.EqualTo(expected), context);
            Assert.That(parser.Counters, Is.EqualTo(reference.Counters), context);
            Assert.That(buffer.IsEmpty, Is.True, context);

            // Whole, random segments (empty ones included).
            parser = new FrameParser(limit);
            buffer = TestSegment.RandomSplit(data, 0, data.Length, random, random.Next(1, 64), allowEmpty: true);
            sink = new CollectingSink { Input = data };
            parser.ParseAll(ref buffer, ref sink, isCompleted: true);
            Assert.That(sink.Texts, Is.EqualTo(expectedTexts), context);
            Assert.That(parser.Counters, Is.EqualTo(reference.Counters), context);
            foreach (var (frame, want) in sink.Frames.Zip(reference.Frames))
            {
                Assert.That(frame.Start, Is.EqualTo(want.Start).Or.EqualTo(-1), context);
            }

            // Random reads, random layouts, ParseAll or TryParse.
            parser = new FrameParser(limit);
            var chunks = StreamFeeder.RandomChunks(data.Length, random, random.Next(1, 100));
            var layout = (Layout)random.Next(3);
            var frames = StreamFeeder.Feed(parser, data, chunks, layout, random, useTryParse: random.Next(2) == 0, completeWithLastChunk: random.Next(2) == 0);
            Assert.That(frames.Select(f => f.Text), Is.EqualTo(expectedTexts), $"{layout}, {context}");
            Assert.That(parser.Counters, Is.EqualTo(reference.Counters), $"{layout}, {context}");

            // One byte at a time (a quarter of the cases, to stay within the time budget).
            if (cases % 4 == 0)
            {
                byteAtATime++;
                parser = new FrameParser(limit);
                frames = StreamFeeder.Feed(parser, data, StreamFeeder.OneByteAtATime(data.Length));
                Assert.That(frames.Select(f => f.ToString()), Is.EqualTo(expected), $"byte at a time, {context}");
                Assert.That(parser.Counters, Is.EqualTo(reference.Counters), $"byte at a time, {context}");
            }

            // Oracle 2: untouched original frames are delivered, unless a delivered frame overlaps them.
            var delivered = reference.Frames.Select(f => (f.Start, End: f.Start + f.Payload.Length + FrameFormat.Overhead, f.Text)).ToList();
            foreach (var (start, length, text) in stream.Untouched)
            {
                untouched++;
                if (delivered.Any(d => d.Start == start))
                {
                    var hit = delivered.Single(d => d.Start == start);
                    Assert.That((hit.End, hit.Text), Is.EqualTo((start + length, text)), $"frame at {start}, {context}");
                    continue;
                }

                var swallower = delivered.Where(d => d.Start < start && d.End > start).ToList();
                Assert.That(swallower, Has.Count.EqualTo(1), $"untouched frame at {start} ({text}) lost, {context}");
                Assert.That(stream.Untouched.Any(u => u.Start == swallower[0].Start), Is.False, "an original frame cannot overlap another");
                swallowed++;
            }

            originals += stream.OriginalFrames;
            falseFrames += delivered.Count(d => !stream.Untouched.Any(u => u.Start == d.Start));
            bytes += data.Length;
            totals = Add(totals, reference.Counters);
        }

        TestContext.Out.WriteLine(
            $"seed {seed}: {cases} cases in {stopwatch.Elapsed.TotalSeconds:F1} s, {bytes} bytes, {byteAtATime} also fed one byte at a time; " +
            $"{originals} original frames, {untouched} untouched, {untouched - swallowed} of them delivered, " +
            $"{swallowed} swallowed by a false candidate that passed the XOR check; " +
            $"{falseFrames} delivered frames were not untouched originals (inserted whole frames, frames inside damaged payloads, damaged frames whose XOR still passed); totals {totals}");
        Assert.That(cases, Is.GreaterThanOrEqualTo(500), "the time budget allowed too few cases to mean anything");
        Assert.That(totals.Oversize, Is.Positive, "the generator exercises rule 2");
        Assert.That(totals.BadChecksum, Is.Positive, "the generator exercises rule 3");
        Assert.That(totals.Truncated, Is.Positive, "the generator exercises rule 6");
    }

    [Test]
    public void The_reference_parser_agrees_with_the_rules_on_hand_made_cases()
    {
        byte[] ping = FrameWriter.ToArray(0x02, [0x07]);
        var result = ReferenceParser.Parse([0x00, 0x5A, 0x01, 0xFF, 0xFF, .. ping, 0x5A, 0x03], 256, isCompleted: true);

        Assert.That(result.Frames.Select(f => f.ToString()), Is.EqualTo(new[] { "@5 02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(5, 1, 0, 1, 0, 1, 6)));

        var open = ReferenceParser.Parse([.. ping, 0x5A, 0x03], 256, isCompleted: false);
        Assert.That(open.Pending, Is.True);
        Assert.That(open.Consumed, Is.EqualTo(6));
    }

    private static FrameParserCounters Add(FrameParserCounters a, FrameParserCounters b) => new(
        a.SkippedBytes + b.SkippedBytes,
        a.Oversize + b.Oversize,
        a.BadChecksum + b.BadChecksum,
        a.Truncated + b.Truncated,
        a.Stalled + b.Stalled,
        a.Delivered + b.Delivered,
        a.DeliveredBytes + b.DeliveredBytes);
}
