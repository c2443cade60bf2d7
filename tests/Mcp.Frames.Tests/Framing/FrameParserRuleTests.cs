using System.Buffers;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// The receiver rules of PROTOCOL.md §1.1, one by one, with the exact counters each one must leave.
/// Counters are (SkippedBytes, Oversize, BadChecksum, Truncated, Stalled, Delivered, DeliveredBytes).
/// </summary>
[TestFixture]
public class FrameParserRuleTests
{
    private static readonly byte[] Ping = FrameWriter.ToArray(0x02, [0x07]); // 5A 02 01 00 07 5E

    private static (List<string> Texts, FrameParserCounters Counters, long Remaining, bool Pending) Parse(
        byte[] data, bool isCompleted, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        var parser = new FrameParser(maxPayloadLength);
        var buffer = new ReadOnlySequence<byte>(data);
        var sink = new CollectingSink();
        parser.ParseAll(ref buffer, ref sink, isCompleted);
        return (sink.Texts.ToList(), parser.Counters, buffer.Length, parser.HasPendingCandidate);
    }

    /// <summary>Parses <paramref name="data"/> whole, then again split at every position, and checks that the
    /// reference oracle agrees; returns the whole-buffer result.</summary>
    private static (List<string> Texts, FrameParserCounters Counters, long Remaining, bool Pending) ParseEverySplit(
        byte[] data, bool isCompleted, int maxPayloadLength = FrameFormat.DefaultMaxPayloadLength)
    {
        var whole = Parse(data, isCompleted, maxPayloadLength);
        for (int cut = 0; cut <= data.Length; cut++)
        {
            var parser = new FrameParser(maxPayloadLength);
            ReadOnlySequence<byte> buffer = TestSegment.Split(data, 0, data.Length, [cut]);
            var sink = new CollectingSink();
            parser.ParseAll(ref buffer, ref sink, isCompleted);
            Assert.That(sink.Texts, Is.EqualTo(whole.Texts), $"split at {cut}");
            Assert.That(parser.Counters, Is.EqualTo(whole.Counters), $"split at {cut}");
            Assert.That(buffer.Length, Is.EqualTo(whole.Remaining), $"split at {cut}");
        }

        var reference = ReferenceParser.Parse(data, maxPayloadLength, isCompleted);
        Assert.That(reference.Frames.Select(f => f.Text), Is.EqualTo(whole.Texts), "reference oracle");
        Assert.That(reference.Counters, Is.EqualTo(whole.Counters), "reference oracle");
        return whole;
    }

    [Test]
    public void Rule1_garbage_before_a_frame_is_skipped_and_counted()
    {
        byte[] data = [0x00, 0x11, 0xA5, 0xFF, 0x5B, .. Ping];

        var result = ParseEverySplit(data, isCompleted: false);

        Assert.That(result.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(5, 0, 0, 0, 0, 1, 6)));
        Assert.That(result.Remaining, Is.Zero);
    }

    [Test]
    public void Rule1_garbage_without_a_header_is_all_skipped()
    {
        byte[] data = Enumerable.Range(0, 200).Select(i => (byte)(i == 0x5A ? 0 : i)).ToArray();

        var result = ParseEverySplit(data, isCompleted: false);

        Assert.That(result.Texts, Is.Empty);
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(200, 0, 0, 0, 0, 0, 0)));
        Assert.That(result.Remaining, Is.Zero, "skipped bytes are consumed, not kept");
        Assert.That(result.Pending, Is.False);
    }

    [Test]
    public void Rule2_len_0xFFFF_is_rejected_as_oversize_and_only_its_header_dropped()
    {
        // 5A 01 FF FF: the header is dropped, 01 FF FF are skipped, then the real frame.
        byte[] data = [0x5A, 0x01, 0xFF, 0xFF, .. Ping];

        var result = ParseEverySplit(data, isCompleted: false);

        Assert.That(result.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(3, 1, 0, 0, 0, 1, 6)));
    }

    [Test]
    public void Rule2_is_decided_from_four_bytes_without_waiting_for_the_rest()
    {
        var result = ParseEverySplit([0x5A, 0x01, 0xFF, 0xFF], isCompleted: false);

        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(3, 1, 0, 0, 0, 0, 0)));
        Assert.That(result.Pending, Is.False, "an oversize candidate is never waited for");
        Assert.That(result.Remaining, Is.Zero);
    }

    [Test]
    public void Rule2_len_0xFFFF_allocates_nothing([Values(false, true)] bool multiSegment, [Values(256, 65535)] int limit)
    {
        // With the default limit the candidate is oversize; with the largest limit it is an incomplete candidate
        // that claims 65540 bytes. Either way nothing may be sized from its len.
        byte[] data = [0x5A, 0x01, 0xFF, 0xFF, 0x00, 0x01, 0x02];
        var parser = new FrameParser(limit);
        var sink = new CountingSink();
        ReadOnlySequence<byte> warmUp = Layout(data, multiSegment);
        parser.ParseAll(ref warmUp, ref sink);
        parser.ParseAll(ref warmUp, ref sink, isCompleted: true);
        ReadOnlySequence<byte> buffer = Layout(data, multiSegment);
        ReadOnlySequence<byte> end = Layout(data, multiSegment);

        long before = GC.GetAllocatedBytesForCurrentThread();
        parser.ParseAll(ref buffer, ref sink);
        parser.ParseAll(ref end, ref sink, isCompleted: true);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
        Assert.That(sink.Count, Is.Zero);
        if (limit == 256)
        {
            // Three parses saw the bytes (the warm-up's second one got an empty buffer): 3 x (1 oversize, 6 skipped).
            Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(6 * 3, 3, 0, 0, 0, 0, 0)));
        }
        else
        {
            Assert.That(buffer.Length, Is.EqualTo(data.Length), "waits for the claimed bytes");
            // The two parses at the end of the stream each truncated the candidate and skipped its other 6 bytes.
            Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(6 * 2, 0, 0, 2, 0, 0, 0)));
        }

        static ReadOnlySequence<byte> Layout(byte[] data, bool multiSegment) =>
            multiSegment ? TestSegment.Split(data, 0, data.Length, [1, 3]) : new ReadOnlySequence<byte>(data);
    }

    [Test]
    public void Rule3_bad_checksum_drops_only_the_header_and_a_frame_inside_the_claimed_span_is_delivered()
    {
        // A candidate that claims 11 payload bytes: 01 02, a whole PING frame, 03 04 05, and a wrong check.
        byte[] outer = [0x5A, 0x10, 0x0B, 0x00, 0x01, 0x02, .. Ping, 0x03, 0x04, 0x05, 0x00];
        outer[^1] = (byte)(FrameChecksum.Compute(outer.AsSpan(0, outer.Length - 1)) ^ 0x01);
        Assert.That(outer[^1], Is.Not.EqualTo(FrameFormat.Header));

        var result = ParseEverySplit(outer, isCompleted: false);

        // Header dropped (bad checksum); 10 0B 00 01 02 skipped; PING delivered; 03 04 05 and the check skipped.
        Assert.That(result.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(9, 0, 1, 0, 0, 1, 6)));
        Assert.That(result.Remaining, Is.Zero);
    }

    [Test]
    public void Rule3_a_corrupted_frame_followed_by_a_good_one()
    {
        byte[] bad = FrameWriter.ToArray(0x11, [0x01, 0x02, 0x03]);
        bad[5] ^= 0x40;

        var result = ParseEverySplit([.. bad, .. Ping], isCompleted: false);

        Assert.That(result.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(bad.Length - 1, 0, 1, 0, 0, 1, 6)));
    }

    [Test]
    public void Rule4_frames_back_to_back_are_all_delivered()
    {
        byte[] a = FrameWriter.ToArray(0x01, []);
        byte[] b = FrameWriter.ToArray(0x82, [0x07, 0x00]);

        var result = ParseEverySplit([.. a, .. Ping, .. b, .. Ping], isCompleted: false);

        Assert.That(result.Texts, Is.EqualTo(new[] { "01:", "02:07", "82:0700", "02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 4, 5 + 6 + 7 + 6)));
    }

    [Test]
    public void Rule6_truncated_candidate_at_the_end_of_the_stream()
    {
        // PING, then a candidate claiming 5 payload bytes of which 2 arrived.
        byte[] data = [.. Ping, 0x5A, 0x03, 0x05, 0x00, 0x01, 0x02];

        var open = ParseEverySplit(data, isCompleted: false);
        var ended = ParseEverySplit(data, isCompleted: true);

        Assert.That(open.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(open.Pending, Is.True);
        Assert.That(open.Remaining, Is.EqualTo(6), "the candidate waits for its bytes");
        Assert.That(open.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, 6)));

        // The header is dropped as truncated and the rest re-scanned: 03 05 00 01 02 are skipped.
        Assert.That(ended.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(ended.Pending, Is.False);
        Assert.That(ended.Remaining, Is.Zero);
        Assert.That(ended.Counters, Is.EqualTo(new FrameParserCounters(5, 0, 0, 1, 0, 1, 6)));
    }

    [Test]
    public void Rule6_a_frame_inside_a_truncated_candidate_is_still_delivered()
    {
        // A candidate claiming 0x40 payload bytes, holding a whole PING and one more byte, then the stream ends.
        byte[] data = [0x5A, 0x20, 0x40, 0x00, .. Ping, 0xAA];

        var open = ParseEverySplit(data, isCompleted: false);
        var ended = ParseEverySplit(data, isCompleted: true);

        Assert.That(open.Texts, Is.Empty, "while the stream is open the candidate hides the PING (rule 5 exists for this)");
        Assert.That(open.Remaining, Is.EqualTo(data.Length));
        Assert.That(open.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 0, 0)));

        Assert.That(ended.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(ended.Counters, Is.EqualTo(new FrameParserCounters(4, 0, 0, 1, 0, 1, 6)));
    }

    [TestCase(new byte[] { 0x5A }, 0)]
    [TestCase(new byte[] { 0x5A, 0x02 }, 1)]
    [TestCase(new byte[] { 0x5A, 0x02, 0x01 }, 2)]
    [TestCase(new byte[] { 0x5A, 0x02, 0x01, 0x00 }, 3)]
    [TestCase(new byte[] { 0x5A, 0x02, 0x01, 0x00, 0x07 }, 4)]
    public void Rule6_every_prefix_of_a_frame_at_the_end_is_one_truncation(byte[] data, int skipped)
    {
        var ended = ParseEverySplit(data, isCompleted: true);

        Assert.That(ended.Texts, Is.Empty);
        Assert.That(ended.Counters, Is.EqualTo(new FrameParserCounters(skipped, 0, 0, 1, 0, 0, 0)));
    }

    [Test]
    public void Rule6_headers_in_a_row_at_the_end_are_each_truncated()
    {
        // 5A 5A 5A: three candidates, none with 4 bytes.
        var ended = ParseEverySplit([0x5A, 0x5A, 0x5A], isCompleted: true);

        Assert.That(ended.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 3, 0, 0, 0)));
    }

    [Test]
    public void Header_bytes_before_a_frame()
    {
        // 5A 5A | 5A 02 01 00 07 5E. At 0: len = 5A 02 = 0x025A, oversize. At 1: len = 02 01 = 0x0102, oversize.
        // At 2: the PING.
        var result = ParseEverySplit([0x5A, 0x5A, .. Ping], isCompleted: false);

        Assert.That(result.Texts, Is.EqualTo(new[] { "02:07" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(0, 2, 0, 0, 0, 1, 6)));
    }

    [Test]
    public void Garbage_that_happens_to_form_a_valid_frame_is_delivered_and_swallows_the_real_one()
    {
        // The limit of an 8-bit XOR (PROTOCOL.md §1.1, "unless the garbage itself happens to form a frame"):
        // 5A 00 06 00 | 5A 02 01 00 07 5E | check. The check byte makes the XOR of the garbage candidate 0,
        // so it is delivered with the real PING inside its payload.
        byte[] data = [0x5A, 0x00, 0x06, 0x00, .. Ping, 0x00];
        data[^1] = FrameChecksum.Compute(data.AsSpan(0, data.Length - 1));

        var result = ParseEverySplit(data, isCompleted: false);

        Assert.That(result.Texts, Is.EqualTo(new[] { "00:" + Convert.ToHexString(Ping) }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, data.Length)));
    }

    [Test]
    public void Header_bytes_inside_payloads_and_commands_are_not_frame_starts()
    {
        // cmd 0x5A, len 0x005A, ninety 0x5A bytes, check 0x5A; then a frame whose len bytes are 5A 00.
        byte[] allHeaders = FrameWriter.ToArray(0x5A, Enumerable.Repeat((byte)0x5A, 0x5A).ToArray());
        byte[] lenIs5A = FrameWriter.ToArray(0x01, Enumerable.Range(0, 0x5A).Select(i => (byte)(0x5A ^ i)).ToArray());
        Assert.That(allHeaders, Is.All.EqualTo((byte)0x5A).Or.EqualTo((byte)0x00));
        Assert.That(lenIs5A[2], Is.EqualTo(0x5A));

        var result = ParseEverySplit([.. allHeaders, .. lenIs5A, .. allHeaders, .. Ping], isCompleted: false);

        Assert.That(result.Texts, Has.Count.EqualTo(4));
        Assert.That(result.Texts[0], Is.EqualTo("5A:" + string.Concat(Enumerable.Repeat("5A", 0x5A))));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 4, (2 * allHeaders.Length) + lenIs5A.Length + 6)));
    }

    [Test]
    public void MaxPayloadLength_zero_admits_only_empty_frames()
    {
        byte[] empty = FrameWriter.ToArray(0x02, []);

        var result = ParseEverySplit([.. Ping, .. empty], isCompleted: false, maxPayloadLength: 0);

        // The PING (len 1) is oversize: its header dropped, 02 01 00 07 5E skipped.
        Assert.That(result.Texts, Is.EqualTo(new[] { "02:" }));
        Assert.That(result.Counters, Is.EqualTo(new FrameParserCounters(5, 1, 0, 0, 0, 1, 5)));
    }

    [Test]
    public void MaxPayloadLength_is_inclusive()
    {
        byte[] frame = FrameWriter.ToArray(0x30, new byte[40]);

        Assert.That(Parse(frame, false, maxPayloadLength: 40).Counters.Delivered, Is.EqualTo(1));
        Assert.That(Parse(frame, false, maxPayloadLength: 39).Counters.Oversize, Is.EqualTo(1));
    }

    [Test]
    public void MaxPayloadLength_change_applies_to_the_next_parse()
    {
        byte[] frame = FrameWriter.ToArray(0x30, new byte[40]);
        var parser = new FrameParser(64);
        var sink = new CollectingSink();
        var first = new ReadOnlySequence<byte>(frame);
        parser.ParseAll(ref first, ref sink);

        parser.MaxPayloadLength = 16;
        var second = new ReadOnlySequence<byte>(frame);
        parser.ParseAll(ref second, ref sink);

        Assert.That(parser.MaxPayloadLength, Is.EqualTo(16));
        Assert.That(sink.Frames, Has.Count.EqualTo(1));
        Assert.That(parser.Counters.Oversize, Is.EqualTo(1));
    }

    [TestCase(-1)]
    [TestCase(65536)]
    [TestCase(int.MinValue)]
    [TestCase(int.MaxValue)]
    public void MaxPayloadLength_out_of_range_throws(int value)
    {
        Assert.That(() => new FrameParser(value), Throws.TypeOf<ArgumentOutOfRangeException>());
        var parser = new FrameParser();
        Assert.That(() => parser.MaxPayloadLength = value, Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(parser.MaxPayloadLength, Is.EqualTo(256), "a rejected value changes nothing");
        Assert.That(() => FrameFormat.ValidateMaxPayloadLength(value), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => FrameWriter.Write(new ArrayBufferWriter<byte>(), 0x01, [], value), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [TestCase(0)]
    [TestCase(65535)]
    public void MaxPayloadLength_at_the_bounds_is_accepted(int value)
    {
        var parser = new FrameParser(value);
        Assert.That(parser.MaxPayloadLength, Is.EqualTo(value));
        parser.MaxPayloadLength = value;
        Assert.That(parser.MaxPayloadLength, Is.EqualTo(value));
        Assert.That(FrameFormat.ValidateMaxPayloadLength(value), Is.EqualTo(value));
    }

    [Test]
    public void Default_MaxPayloadLength_is_256()
    {
        Assert.That(new FrameParser().MaxPayloadLength, Is.EqualTo(256));
        Assert.That(FrameFormat.DefaultMaxPayloadLength, Is.EqualTo(256));
    }

    [Test]
    public void The_largest_frame_is_delivered_with_the_largest_limit([Values(false, true)] bool multiSegment)
    {
        byte[] payload = Enumerable.Range(0, 65535).Select(i => (byte)(i * 7)).ToArray();
        byte[] frame = FrameWriter.ToArray(0x44, payload);
        var parser = new FrameParser(65535);
        ReadOnlySequence<byte> buffer = multiSegment ? TestSegment.Split(frame, 0, frame.Length, [4096, 8192, 60000]) : new ReadOnlySequence<byte>(frame);
        var sink = new CollectingSink();

        parser.ParseAll(ref buffer, ref sink);

        Assert.That(sink.Frames, Has.Count.EqualTo(1));
        Assert.That(sink.Frames[0].Payload, Is.EqualTo(payload));
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, 65540)));
    }

    private struct CountingSink : IFrameSink
    {
        public int Count;

        public bool OnFrame(in Frame frame)
        {
            Count++;
            return true;
        }
    }
}
