using System.Runtime.InteropServices;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Framing;

/// <summary>A frame as a test sees it: a copy of the payload, and where it sat in the input array if known.</summary>
/// <param name="Command">The command byte.</param>
/// <param name="Payload">A copy of the payload.</param>
/// <param name="Start">Offset of the frame's header in the input array, or -1 when the payload was not a view into it.</param>
internal sealed record ReceivedFrame(byte Command, byte[] Payload, int Start)
{
    /// <summary>Command and payload as text, so that lists of frames compare (and print) by value.</summary>
    public string Text => $"{Command:X2}:{Convert.ToHexString(Payload)}";

    public override string ToString() => Start >= 0 ? $"@{Start} {Text}" : Text;
}

/// <summary>
/// Copies every frame it receives (the payload is valid only during the call). When <see cref="Input"/> is set, a
/// payload that is a view into that array is located in it.
/// </summary>
internal sealed class CollectingSink : IFrameSink
{
    public List<ReceivedFrame> Frames { get; } = [];

    public byte[]? Input { get; init; }

    /// <summary>Stop parsing after this many frames in total (for sinks that ask the parser to stop).</summary>
    public int StopAfter { get; set; } = int.MaxValue;

    public IEnumerable<string> Texts => Frames.Select(f => f.Text);

    public bool OnFrame(in Frame frame)
    {
        int start = -1;
        if (Input is not null
            && MemoryMarshal.TryGetArray(frame.Payload, out ArraySegment<byte> segment)
            && ReferenceEquals(segment.Array, Input))
        {
            start = segment.Offset - FrameFormat.PrefixLength;
        }

        Frames.Add(new ReceivedFrame(frame.Command, frame.Payload.ToArray(), start));
        return Frames.Count < StopAfter;
    }
}
