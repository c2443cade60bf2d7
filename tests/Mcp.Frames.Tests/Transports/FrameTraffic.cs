using System.Buffers.Binary;
using System.IO.Pipelines;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// Numbered frames for transport tests: each payload starts with its sequence number and a stream id, and every other
/// byte is derived from both, so a receiver can check order and content of every frame.
/// </summary>
internal static class FrameTraffic
{
    public const byte Command = 0x7E;

    public static void Fill(Span<byte> payload, int sequence, byte stream)
    {
        BinaryPrimitives.WriteInt32LittleEndian(payload, sequence);
        payload[4] = stream;
        for (int i = 5; i < payload.Length; i++)
        {
            payload[i] = (byte)((sequence * 31) + (i * 7) + stream);
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> numbered frames from number <paramref name="first"/> on, flushing every
    /// <paramref name="framesPerFlush"/>.
    /// </summary>
    public static async Task WriteAsync(PipeWriter output, int count, int payloadLength = 256, byte stream = 0, int framesPerFlush = 16, CancellationToken cancellationToken = default, int first = 0)
    {
        for (int written = 0; written < count; written++)
        {
            Append(output, first + written, payloadLength, stream);
            if ((written + 1) % framesPerFlush == 0 || written == count - 1)
            {
                FlushResult flushed = await output.FlushAsync(cancellationToken);

                // After the last frame the reader may already have taken everything and completed: that is success.
                if (flushed.IsCompleted && written + 1 < count)
                {
                    throw new InvalidOperationException($"the reader stopped after {written + 1} of {count} frames");
                }
            }
        }
    }

    private static void Append(PipeWriter output, int sequence, int payloadLength, byte stream)
    {
        FrameBuilder builder = FrameWriter.Begin(output, Command, payloadLength);
        Fill(builder.Payload[..payloadLength], sequence, stream);
        builder.Commit(payloadLength);
    }

    /// <summary>Reads until <paramref name="expected"/> frames arrived (or the stream ended) and checks each one.</summary>
    public static async Task<FrameCheck> ReadAsync(PipeReader input, int expected, int payloadLength = 256, byte stream = 0, TimeSpan? stallTimeout = null, CancellationToken cancellationToken = default)
    {
        var parser = new FrameParser();
        var reader = new FrameReader(input, parser, new FrameReaderOptions { StallTimeout = stallTimeout });
        var sink = new CheckingSink(expected, payloadLength, stream);
        await reader.RunAsync(sink, cancellationToken);
        return new FrameCheck(sink.Received, sink.Errors, parser.Counters);
    }

    private sealed class CheckingSink(int expected, int payloadLength, byte stream) : IFrameSink
    {
        private readonly byte[] _expectedPayload = new byte[payloadLength];

        public int Received { get; private set; }

        public List<string> Errors { get; } = [];

        public bool OnFrame(in Frame frame)
        {
            ReadOnlySpan<byte> payload = frame.Payload.Span;
            if (frame.Command != Command || payload.Length != payloadLength)
            {
                Note($"frame {Received}: cmd 0x{frame.Command:X2}, {payload.Length} bytes");
            }
            else
            {
                Fill(_expectedPayload, Received, stream);
                if (!payload.SequenceEqual(_expectedPayload))
                {
                    Note($"frame {Received}: payload differs (sequence in frame {BinaryPrimitives.ReadInt32LittleEndian(payload)}, stream {payload[4]})");
                }
            }

            Received++;
            return Received < expected;
        }

        private void Note(string error)
        {
            if (Errors.Count < 10)
            {
                Errors.Add(error);
            }
        }
    }
}

internal sealed record FrameCheck(int Received, IReadOnlyList<string> Errors, FrameParserCounters Counters)
{
    public override string ToString() => $"received {Received}, errors [{string.Join("; ", Errors)}], {Counters}";
}
