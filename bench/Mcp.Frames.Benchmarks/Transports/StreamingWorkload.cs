using System.IO.Pipelines;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>The frames the streaming benchmarks move: 256-byte payloads, 261 bytes on the wire each.</summary>
public static class StreamingWorkload
{
    public const int PayloadLength = 256;
    public const int FrameLength = PayloadLength + 5;

    /// <summary>The same frames, encoded once, for the raw byte-copy baselines.</summary>
    public static byte[] Encode(int frames)
    {
        var payload = new byte[PayloadLength];
        var wire = new byte[frames * FrameLength];
        for (int i = 0; i < frames; i++)
        {
            payload[0] = (byte)i;
            payload[1] = (byte)(i >> 8);
            FrameWriter.Encode(wire.AsSpan(i * FrameLength, FrameLength), 0x7E, payload);
        }

        return wire;
    }

    /// <summary>Writes <paramref name="frames"/> frames with <see cref="FrameWriter"/>, flushing every <paramref name="framesPerFlush"/>.</summary>
    public static async Task WriteFramesAsync(PipeWriter output, int frames, int framesPerFlush)
    {
        for (int i = 0; i < frames; i++)
        {
            FrameBuilder builder = FrameWriter.Begin(output, 0x7E, PayloadLength);
            Span<byte> payload = builder.Payload;
            payload.Clear();
            payload[0] = (byte)i;
            payload[1] = (byte)(i >> 8);
            builder.Commit(PayloadLength);
            if ((i + 1) % framesPerFlush == 0 || i == frames - 1)
            {
                await output.FlushAsync();
            }
        }
    }
}

/// <summary>
/// Counts frames on a <see cref="FrameReader"/>'s loop and completes a task when the expected number has arrived.
/// Runs for the whole benchmark, so each operation only waits for its frames.
/// </summary>
public sealed class CountingSink : IFrameSink
{
    private long _received;
    private long _target = long.MaxValue;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long BadFrames { get; private set; }

    public Task Expect(int frames)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, Interlocked.Read(ref _received) + frames);
        return _reached.Task;
    }

    public bool OnFrame(in Frame frame)
    {
        if (frame.Payload.Length != StreamingWorkload.PayloadLength)
        {
            BadFrames++;
        }

        if (Interlocked.Increment(ref _received) == Volatile.Read(ref _target))
        {
            _reached.TrySetResult();
        }

        return true;
    }
}
