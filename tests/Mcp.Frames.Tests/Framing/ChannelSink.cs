using System.Threading.Channels;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// A sink for <see cref="FrameReader.RunAsync"/>: copies each frame (its payload dies when the call returns) into a
/// channel that the test awaits, with a deadline, instead of sleeping.
/// </summary>
internal sealed class ChannelSink : IFrameSink
{
    private readonly Channel<ReceivedFrame> _frames = Channel.CreateUnbounded<ReceivedFrame>();
    private int _count;

    /// <summary>Ask the reader to stop after this many frames.</summary>
    public int StopAfter { get; init; } = int.MaxValue;

    public int Count => Volatile.Read(ref _count);

    public bool OnFrame(in Frame frame)
    {
        _frames.Writer.TryWrite(new ReceivedFrame(frame.Command, frame.Payload.ToArray(), -1));
        return Interlocked.Increment(ref _count) < StopAfter;
    }

    public async Task<ReceivedFrame> NextAsync() =>
        await _frames.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));

    /// <summary>Every frame received so far (for after the loop has ended).</summary>
    public List<string> Drain()
    {
        var texts = new List<string>();
        while (_frames.Reader.TryRead(out ReceivedFrame? frame))
        {
            texts.Add(frame.Text);
        }

        return texts;
    }
}
