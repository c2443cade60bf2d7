using System.Buffers;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>Every example of PROTOCOL.md §1.2, in both directions.</summary>
[TestFixture]
public class FrameGoldenTests
{
    /// <summary>The examples of PROTOCOL.md §1.2: name, cmd, payload, the bytes on the wire.</summary>
    public static IEnumerable<TestCaseData> Examples()
    {
        yield return Example("cmd 0x02, empty payload", 0x02, "", "5A02000058");
        yield return Example("cmd 0x02, payload 07", 0x02, "07", "5A020100075E");
        yield return Example("cmd 0x82, payload 07 00", 0x82, "0700", "5A8202000700DD");

        // cmd 0x7E, payload 00 01 02 … (300 bytes, byte i = i mod 256): 5A 7E 2C 01 00 01 02 … 09
        string payload300 = Convert.ToHexString(Enumerable.Range(0, 300).Select(i => (byte)i).ToArray());
        yield return Example("cmd 0x7E, 300-byte payload", 0x7E, payload300, "5A7E2C01" + payload300 + "09");
    }

    private static TestCaseData Example(string name, byte command, string payloadHex, string wireHex) =>
        new TestCaseData(command, Convert.FromHexString(payloadHex), Convert.FromHexString(wireHex)).SetArgDisplayNames(name);

    // The 300-byte example is over the default limit of 256: every direction below uses a link limit of 300.
    private const int Limit = 300;

    [TestCaseSource(nameof(Examples))]
    public void ToArray_gives_the_wire_bytes(byte command, byte[] payload, byte[] wire) =>
        Assert.That(FrameWriter.ToArray(command, payload), Is.EqualTo(wire));

    [TestCaseSource(nameof(Examples))]
    public void Encode_gives_the_wire_bytes(byte command, byte[] payload, byte[] wire)
    {
        byte[] destination = Enumerable.Repeat((byte)0xEE, wire.Length + 3).ToArray();

        int written = FrameWriter.Encode(destination, command, payload);

        Assert.That(written, Is.EqualTo(wire.Length));
        Assert.That(destination[..written], Is.EqualTo(wire));
        Assert.That(destination[written..], Is.All.EqualTo((byte)0xEE), "nothing written past the frame");
    }

    [TestCaseSource(nameof(Examples))]
    public void Write_gives_the_wire_bytes(byte command, byte[] payload, byte[] wire)
    {
        var output = new ArrayBufferWriter<byte>();

        int written = FrameWriter.Write(output, command, payload, Limit);

        Assert.That(written, Is.EqualTo(wire.Length));
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(wire));
    }

    [TestCaseSource(nameof(Examples))]
    public void Builder_gives_the_wire_bytes(byte command, byte[] payload, byte[] wire)
    {
        var output = new ArrayBufferWriter<byte>();

        FrameBuilder builder = FrameWriter.Begin(output, command, payload.Length, Limit);
        Assert.That(builder.Payload.Length, Is.EqualTo(payload.Length));
        payload.CopyTo(builder.Payload);
        int written = builder.Commit(payload.Length);

        Assert.That(written, Is.EqualTo(wire.Length));
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(wire));
    }

    [TestCaseSource(nameof(Examples))]
    public void TryParse_of_the_wire_bytes_gives_cmd_and_payload(byte command, byte[] payload, byte[] wire)
    {
        var parser = new FrameParser(Limit);
        var buffer = new ReadOnlySequence<byte>(wire);

        bool found = parser.TryParse(ref buffer, out Frame frame);

        Assert.That(found, Is.True);
        Assert.That(frame.Command, Is.EqualTo(command));
        Assert.That(frame.Payload.ToArray(), Is.EqualTo(payload));
        Assert.That(frame.WireLength, Is.EqualTo(wire.Length));
        Assert.That(buffer.IsEmpty, Is.True, "the whole frame is consumed");
        Assert.That(parser.HasPendingCandidate, Is.False);
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, wire.Length)));
    }

    [TestCaseSource(nameof(Examples))]
    public void ParseAll_of_the_wire_bytes_gives_cmd_and_payload(byte command, byte[] payload, byte[] wire)
    {
        var parser = new FrameParser(Limit);
        var buffer = new ReadOnlySequence<byte>(wire);
        var sink = new CollectingSink { Input = wire };

        int count = parser.ParseAll(ref buffer, ref sink, isCompleted: true);

        Assert.That(count, Is.EqualTo(1));
        Assert.That(sink.Frames, Has.Count.EqualTo(1));
        Assert.That(sink.Frames[0].Command, Is.EqualTo(command));
        Assert.That(sink.Frames[0].Payload, Is.EqualTo(payload));
        Assert.That(sink.Frames[0].Start, Is.EqualTo(0), "a single-segment frame is delivered as a view, not a copy");
        Assert.That(buffer.IsEmpty, Is.True);
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(0, 0, 0, 0, 0, 1, wire.Length)));
    }

    [TestCaseSource(nameof(Examples))]
    public void Checksum_of_a_whole_example_frame_is_zero(byte command, byte[] payload, byte[] wire)
    {
        Assert.That(FrameChecksum.Compute(wire), Is.Zero);
        Assert.That(FrameChecksum.ComputeScalar(wire), Is.Zero);
        Assert.That(FrameChecksum.Compute(wire.AsSpan(0, wire.Length - 1)), Is.EqualTo(wire[^1]));
    }

    [Test]
    public void The_300_byte_example_is_over_the_default_limit()
    {
        byte[] payload = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        byte[] wire = FrameWriter.ToArray(0x7E, payload);
        var output = new ArrayBufferWriter<byte>();

        Assert.That(() => FrameWriter.Write(output, 0x7E, payload), Throws.ArgumentException);
        Assert.That(output.WrittenCount, Is.Zero);

        // The default receiver rejects it as oversize (rule 2) and never finds a frame in its bytes.
        var parser = new FrameParser();
        var buffer = new ReadOnlySequence<byte>(wire);
        var sink = new CollectingSink();
        parser.ParseAll(ref buffer, ref sink, isCompleted: true);
        Assert.That(sink.Frames, Is.Empty);

        // Two oversize candidates: the real header (len 300), and payload byte 90 = 0x5A (len 0x5D5C).
        // Every other byte of the 305 is skipped.
        Assert.That(parser.Counters, Is.EqualTo(new FrameParserCounters(303, 2, 0, 0, 0, 0, 0)));
    }
}
