using System.Buffers.Binary;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Tool.Decoding;

/// <summary>What the scanner found at one place in the bytes.</summary>
internal enum ScanKind
{
    /// <summary>A valid frame.</summary>
    Frame,

    /// <summary>Bytes before a header (rule 1).</summary>
    Skipped,

    /// <summary>A candidate whose <c>len</c> exceeds the limit (rule 2).</summary>
    Oversize,

    /// <summary>A candidate whose check byte is wrong (rule 3).</summary>
    BadChecksum,

    /// <summary>A candidate cut off by the end of the bytes (rule 6).</summary>
    Truncated,
}

/// <summary>One finding: a frame, or a failure with the exact reason.</summary>
/// <param name="Kind">What was found.</param>
/// <param name="Offset">Where it starts in the input.</param>
/// <param name="Length">How many bytes it covers (for a rejected candidate: the bytes it claimed, or had).</param>
/// <param name="Message">For a failure: what exactly is wrong, with offsets and values.</param>
internal sealed record ScanItem(ScanKind Kind, int Offset, int Length, string? Message)
{
    public byte Command { get; init; }

    public int PayloadLength { get; init; }

    public byte[] Payload { get; init; } = [];

    public byte Check { get; init; }
}

/// <summary>
/// Walks bytes as the receiver of PROTOCOL.md §1.1 does (hunt, length guard, checksum, end of stream: a rejected
/// candidate gives up only its 0x5A and the hunt resumes at the next byte), but says exactly what is wrong where,
/// for <c>mcp decode</c>. The library's <see cref="FrameParser"/> runs over the same bytes for the counters.
/// </summary>
internal static class FrameScanner
{
    public static List<ScanItem> Scan(ReadOnlySpan<byte> bytes, int maxPayloadLength)
    {
        var items = new List<ScanItem>();
        int pos = 0;
        while (pos < bytes.Length)
        {
            if (bytes[pos] != FrameFormat.Header)
            {
                int next = bytes[pos..].IndexOf(FrameFormat.Header);
                int count = next < 0 ? bytes.Length - pos : next;
                string where = count == 1 ? $"offset {pos}" : $"offsets {pos}-{pos + count - 1}";
                items.Add(new ScanItem(ScanKind.Skipped, pos, count, $"{count} byte{(count == 1 ? "" : "s")} at {where} skipped: not a 0x5A header"));
                pos += count;
                continue;
            }

            int available = bytes.Length - pos;
            if (available < FrameFormat.PrefixLength)
            {
                items.Add(new ScanItem(ScanKind.Truncated, pos, available, $"truncated: the 0x5A at offset {pos} is followed by {available - 1} byte{(available == 2 ? "" : "s")}; header, cmd and len take 4"));
                pos++;
                continue;
            }

            byte command = bytes[pos + 1];
            int len = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(pos + 2)..]);
            if (len > maxPayloadLength)
            {
                items.Add(new ScanItem(ScanKind.Oversize, pos, FrameFormat.PrefixLength, $"oversize: the candidate at offset {pos} (cmd 0x{command:X2}) has len {len} (bytes {pos + 2}-{pos + 3}), over the payload limit of {maxPayloadLength}") { Command = command, PayloadLength = len });
                pos++;
                continue;
            }

            int total = len + FrameFormat.Overhead;
            if (available < total)
            {
                items.Add(new ScanItem(ScanKind.Truncated, pos, available, $"truncated: the frame at offset {pos} (cmd 0x{command:X2}, len {len}) needs {total} bytes, only {available} are there") { Command = command, PayloadLength = len });
                pos++;
                continue;
            }

            ReadOnlySpan<byte> frame = bytes.Slice(pos, total);
            byte check = frame[^1];
            byte expected = FrameChecksum.Compute(frame[..^1]);
            if (check != expected)
            {
                items.Add(new ScanItem(ScanKind.BadChecksum, pos, total, $"bad checksum: the frame at offset {pos} (cmd 0x{command:X2}, len {len}) has check byte 0x{check:X2} at offset {pos + total - 1}; the XOR of the {total - 1} bytes before it is 0x{expected:X2}")
                {
                    Command = command,
                    PayloadLength = len,
                    Payload = frame.Slice(FrameFormat.PrefixLength, len).ToArray(),
                    Check = check,
                });
                pos++;
                continue;
            }

            items.Add(new ScanItem(ScanKind.Frame, pos, total, null)
            {
                Command = command,
                PayloadLength = len,
                Payload = frame.Slice(FrameFormat.PrefixLength, len).ToArray(),
                Check = check,
            });
            pos += total;
        }

        return items;
    }
}
