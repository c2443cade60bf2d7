using System.Buffers;
using System.Runtime.CompilerServices;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Framing;

/// <summary>
/// The struct sink every parse benchmark uses, inlined into the parse loop; it touches each frame the way the C
/// baseline does (sum of cmd and payload length).
/// </summary>
internal struct CountingSink : IFrameSink
{
    public long Checksum;

    /// <summary>Parses every frame of <paramref name="buffer"/> and returns the sink's checksum.</summary>
    public static long Parse(FrameParser parser, ReadOnlySequence<byte> buffer)
    {
        var sink = default(CountingSink);
        parser.ParseAll(ref buffer, ref sink);
        return sink.Checksum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool OnFrame(in Frame frame)
    {
        Checksum += frame.Command + frame.Payload.Length;
        return true;
    }
}
