using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// The test oracle: PROTOCOL.md §1.1 rules 1-4 and 6, written as naively as possible over a whole byte array,
/// one position at a time. A rejected candidate restarts the hunt at its index + 1; an incomplete candidate at the
/// end of the stream is counted as truncated and the hunt restarts at its index + 1 as well (the behaviour documented
/// on <see cref="FrameParser.TryParse"/>). No spans, no vectors, no segments: obviously right or obviously wrong.
/// </summary>
internal static class ReferenceParser
{
    public sealed record Result(List<ReceivedFrame> Frames, FrameParserCounters Counters, int Consumed, bool Pending);

    public static Result Parse(byte[] data, int maxPayloadLength, bool isCompleted)
    {
        var frames = new List<ReceivedFrame>();
        long skipped = 0, oversize = 0, badChecksum = 0, truncated = 0, delivered = 0, deliveredBytes = 0;
        int i = 0;
        while (i < data.Length)
        {
            // Rule 1: hunt.
            if (data[i] != 0x5A)
            {
                skipped++;
                i++;
                continue;
            }

            int available = data.Length - i;
            if (available < 4)
            {
                if (!isCompleted)
                {
                    return Done(pending: true);
                }

                truncated++; // rule 6
                i++;
                continue;
            }

            int len = data[i + 2] + (256 * data[i + 3]);
            if (len > maxPayloadLength)
            {
                oversize++; // rule 2
                i++;
                continue;
            }

            if (available < len + 5)
            {
                if (!isCompleted)
                {
                    return Done(pending: true);
                }

                truncated++; // rule 6
                i++;
                continue;
            }

            int xor = 0;
            for (int k = 0; k < len + 5; k++)
            {
                xor ^= data[i + k];
            }

            if (xor != 0)
            {
                badChecksum++; // rule 3
                i++;
                continue;
            }

            // Rule 4.
            var payload = new byte[len];
            Array.Copy(data, i + 4, payload, 0, len);
            frames.Add(new ReceivedFrame(data[i + 1], payload, i));
            delivered++;
            deliveredBytes += len + 5;
            i += len + 5;
        }

        return Done(pending: false);

        Result Done(bool pending) =>
            new(frames, new FrameParserCounters(skipped, oversize, badChecksum, truncated, 0, delivered, deliveredBytes), i, pending);
    }
}
