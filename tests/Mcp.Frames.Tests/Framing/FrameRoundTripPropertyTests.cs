using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// FsCheck properties (fixed replay seed, shrinking to the smallest failing case) of the writer and the parser
/// together: what <see cref="FrameWriter"/> writes, the parser delivers unchanged, whatever precedes it.
/// </summary>
public class FrameRoundTripPropertyTests
{
    private static readonly Config Seeded = Config.QuickThrowOnFailure.WithReplay(20261208UL, 1297UL).WithMaxTest(2000);

    [Test]
    public void A_written_frame_after_garbage_without_a_header_is_delivered_intact_and_the_garbage_counted_as_skipped()
    {
        Check.One(Seeded, Prop.ForAll(
            ArbMap.Default.ArbFor<byte>(),
            ArbMap.Default.ArbFor<byte[]>(),
            ArbMap.Default.ArbFor<byte[]>(),
            (command, payload, garbage) =>
            {
                byte[] noise = [.. garbage.Where(b => b != FrameFormat.Header)];
                byte[] wire = [.. noise, .. FrameWriter.ToArray(command, payload)];
                var parser = new FrameParser(maxPayloadLength: Math.Max(payload.Length, 1));
                var buffer = new ReadOnlySequence<byte>(wire);
                var sink = new CollectingSink();
                parser.ParseAll(ref buffer, ref sink, isCompleted: true);
                return sink.Frames.Count == 1
                    && sink.Frames[0].Command == command
                    && sink.Frames[0].Payload.AsSpan().SequenceEqual(payload)
                    && parser.Counters == new FrameParserCounters(noise.Length, 0, 0, 0, 0, 1, payload.Length + FrameFormat.Overhead)
                    && buffer.IsEmpty;
            }));
    }

    [Test]
    public void A_payload_longer_than_the_link_limit_is_never_delivered()
    {
        Check.One(Seeded, Prop.ForAll(
            ArbMap.Default.ArbFor<byte[]>(),
            payload =>
            {
                if (payload.Length == 0)
                {
                    return true;
                }

                var parser = new FrameParser(maxPayloadLength: payload.Length - 1);
                var buffer = new ReadOnlySequence<byte>(FrameWriter.ToArray(0x01, payload));
                var sink = new CollectingSink();
                parser.ParseAll(ref buffer, ref sink, isCompleted: true);
                return sink.Frames.Count == 0 && parser.Counters.Oversize >= 1;
            }));
    }
}
