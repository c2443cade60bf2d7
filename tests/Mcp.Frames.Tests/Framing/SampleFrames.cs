using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Framing;

/// <summary>Frames used by several tests: the PROTOCOL.md §1.2 examples and frames full of <c>0x5A</c>.</summary>
internal static class SampleFrames
{
    /// <summary>The payload limit that admits every sample (the 300-byte example).</summary>
    public const int Limit = 300;

    public static IEnumerable<(string Name, byte Command, byte[] Payload)> All()
    {
        yield return ("empty 0x02", 0x02, []);
        yield return ("0x02 [07]", 0x02, [0x07]);
        yield return ("0x82 [07 00]", 0x82, [0x07, 0x00]);
        yield return ("0x7E 300 bytes i mod 256", 0x7E, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray());

        // cmd 0x5A, len 0x005A, ninety 0x5A bytes, check 0x5A: every byte but one is a header.
        yield return ("all 0x5A", 0x5A, Enumerable.Repeat(FrameFormat.Header, 0x5A).ToArray());

        // A payload that holds a whole valid frame.
        yield return ("frame in payload", 0x10, [0x01, .. FrameWriter.ToArray(0x02, [0x07]), 0x5A]);

        // 16 and 17 bytes: either side of the checksum's vector threshold.
        yield return ("16 bytes", 0x20, Enumerable.Range(0, 16 - FrameFormat.Overhead).Select(i => (byte)(0x50 + i)).ToArray());
        yield return ("17 bytes", 0x21, Enumerable.Range(0, 17 - FrameFormat.Overhead).Select(i => (byte)(0x50 + i)).ToArray());
    }

    public static byte[] Wire((string Name, byte Command, byte[] Payload) sample) => FrameWriter.ToArray(sample.Command, sample.Payload);

    public static string Text(byte command, byte[] payload) => new ReceivedFrame(command, payload, -1).Text;

    /// <summary>Every sample, back to back, and the texts of the frames in it.</summary>
    public static (byte[] Stream, List<string> Texts, List<int> Starts) Concatenated()
    {
        var stream = new List<byte>();
        var texts = new List<string>();
        var starts = new List<int>();
        foreach (var sample in All())
        {
            starts.Add(stream.Count);
            stream.AddRange(Wire(sample));
            texts.Add(Text(sample.Command, sample.Payload));
        }

        return (stream.ToArray(), texts, starts);
    }
}
