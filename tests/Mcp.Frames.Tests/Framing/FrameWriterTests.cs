using System.Buffers;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>The sender side of PROTOCOL.md §1: limits, the in-place builder, round trips.</summary>
[TestFixture]
public class FrameWriterTests
{
    [TestCase(256, 257)]
    [TestCase(256, 65535)]
    [TestCase(16, 17)]
    [TestCase(0, 1)]
    public void Write_refuses_a_payload_over_the_limit_and_writes_nothing(int limit, int payloadLength)
    {
        var output = new ArrayBufferWriter<byte>();

        var ex = Assert.Throws<ArgumentException>(() => FrameWriter.Write(output, 0x11, new byte[payloadLength], limit));

        Assert.That(ex!.Message, Does.Contain(payloadLength.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(ex.Message, Does.Contain(limit.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_with_the_default_limit_refuses_257_bytes_and_accepts_256()
    {
        var output = new ArrayBufferWriter<byte>();

        var ex = Assert.Throws<ArgumentException>(() => FrameWriter.Write(output, 0x11, new byte[257]));
        Assert.That(ex!.Message, Does.Contain("257").And.Contain("256"));
        Assert.That(output.WrittenCount, Is.Zero);

        Assert.That(FrameWriter.Write(output, 0x11, new byte[256]), Is.EqualTo(261));
        Assert.That(output.WrittenCount, Is.EqualTo(261));
    }

    [Test]
    public void Begin_refuses_a_capacity_over_the_limit_and_writes_nothing()
    {
        var output = new ArrayBufferWriter<byte>();

        var ex = Assert.Throws<ArgumentException>(() => FrameWriter.Begin(output, 0x11, 300, 256));

        Assert.That(ex!.Message, Does.Contain("300").And.Contain("256"));
        Assert.That(output.WrittenCount, Is.Zero);
        Assert.That(() => FrameWriter.Begin(output, 0x11, -1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Builder_commit_with_fewer_bytes_than_reserved()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameBuilder builder = FrameWriter.Begin(output, 0x10, 10);
        Assert.That(builder.Payload.Length, Is.EqualTo(10));
        Assert.That(output.WrittenCount, Is.Zero, "nothing is advanced before Commit");
        builder.Payload[0] = 0x01;
        builder.Payload[1] = 0x5A;
        builder.Payload[2] = 0x03;
        int written = builder.Commit(3);
        int second = FrameWriter.Write(output, 0x02, [0x07]);

        Assert.That(written, Is.EqualTo(8));
        Assert.That(second, Is.EqualTo(6));
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo([.. FrameWriter.ToArray(0x10, [0x01, 0x5A, 0x03]), .. FrameWriter.ToArray(0x02, [0x07])]));

        var parser = new FrameParser();
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        var sink = new CollectingSink();
        parser.ParseAll(ref buffer, ref sink);
        Assert.That(sink.Texts, Is.EqualTo(new[] { "10:015A03", "02:07" }));
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 2, 14)));
    }

    [Test]
    public void Builder_commit_with_zero_bytes()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameBuilder builder = FrameWriter.Begin(output, 0x02, 4);
        builder.Payload.Fill(0xEE);
        int written = builder.Commit(0);

        Assert.That(written, Is.EqualTo(5));
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 0x5A, 0x02, 0x00, 0x00, 0x58 }));
    }

    [TestCase(11)]
    [TestCase(-1)]
    public void Builder_commit_outside_the_reservation_throws_and_writes_nothing(int length)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.That(() => FrameWriter.Begin(output, 0x10, 10).Commit(length), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void An_abandoned_builder_writes_nothing()
    {
        var output = new ArrayBufferWriter<byte>();

        FrameBuilder builder = FrameWriter.Begin(output, 0x10, 10);
        builder.Payload.Fill(0x01);
        FrameWriter.Write(output, 0x02, [0x07]);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(FrameWriter.ToArray(0x02, [0x07])));
    }

    [Test]
    public void Encode_refuses_a_small_destination_and_an_oversized_payload()
    {
        byte[] destination = new byte[5];

        Assert.That(() => FrameWriter.Encode(destination, 0x02, [0x07]), Throws.ArgumentException);
        Assert.That(destination, Is.All.Zero, "nothing written");
        Assert.That(() => FrameWriter.Encode(new byte[70000], 0x02, new byte[65536]), Throws.ArgumentException);
        Assert.That(FrameWriter.Encode(new byte[70000], 0x02, new byte[65535]), Is.EqualTo(65540));
    }

    [Test]
    public void Round_trip_of_random_frames([Values(1, 2, 3)] int seed)
    {
        var random = new Random(seed);
        var output = new ArrayBufferWriter<byte>();
        var expected = new List<string>();
        for (int i = 0; i < 500; i++)
        {
            byte command = (byte)random.Next(256);
            byte[] payload = new byte[random.Next(0, 257)];
            random.NextBytes(payload);
            if (random.Next(4) == 0)
            {
                payload.AsSpan().Fill(FrameFormat.Header);
            }

            FrameWriter.Write(output, command, payload);
            expected.Add(SampleFrames.Text(command, payload));
        }

        byte[] stream = output.WrittenSpan.ToArray();
        var parser = new FrameParser();
        ReadOnlySequence<byte> buffer = TestSegment.RandomSplit(stream, 0, stream.Length, random, 4096);
        var sink = new CollectingSink();
        parser.ParseAll(ref buffer, ref sink);

        Assert.That(sink.Texts, Is.EqualTo(expected));
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 500, stream.Length)));
    }
}
