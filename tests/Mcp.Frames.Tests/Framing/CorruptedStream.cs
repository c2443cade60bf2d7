using Mcp.Frames.Framing;

namespace Mcp.Frames.Tests.Framing;

/// <summary>
/// A seeded stream of valid frames with random corruption, that remembers where every byte came from, so that a
/// test knows exactly which original frames no corruption touched and where they now are.
/// </summary>
internal sealed class CorruptedStream
{
    private readonly List<byte> _bytes = [];

    // For each byte: the original frame it belongs to (-1 for garbage), its offset in that frame, and whether a bit
    // of it was flipped.
    private readonly List<(int Frame, int Offset, bool Flipped)> _origin = [];
    private readonly List<(byte Command, byte[] Payload)> _frames = [];

    private CorruptedStream(int maxPayloadLength) => MaxPayloadLength = maxPayloadLength;

    public int MaxPayloadLength { get; }

    public byte[] Data { get; private set; } = [];

    /// <summary>What was done, for the failure message.</summary>
    public List<string> Log { get; } = [];

    public int OriginalFrames => _frames.Count;

    /// <summary>Original frames that no corruption touched: where they now start, their length, and their text.</summary>
    public List<(int Start, int Length, string Text)> Untouched { get; } = [];

    public static CorruptedStream Generate(Random random)
    {
        int[] limits = [0, 1, 4, 16, 64, 256, 256, 300];
        var stream = new CorruptedStream(limits[random.Next(limits.Length)]);
        int frames = random.Next(0, 16);
        for (int f = 0; f < frames; f++)
        {
            if (random.Next(4) == 0)
            {
                stream.AddGarbage(random, -1);
            }

            stream.AddFrame(random);
        }

        int corruptions = random.Next(0, 5);
        for (int c = 0; c < corruptions; c++)
        {
            stream.Corrupt(random);
        }

        stream.Finish();
        return stream;
    }

    private void AddFrame(Random random)
    {
        byte command = random.Next(8) == 0 ? FrameFormat.Header : (byte)random.Next(256);
        int max = MaxPayloadLength;
        int length = random.Next(2) == 0 ? random.Next(0, Math.Min(max, 8) + 1) : random.Next(0, max + 1);
        byte[] payload = new byte[length];
        switch (random.Next(5))
        {
            case 0:
                payload.AsSpan().Fill(FrameFormat.Header);
                break;
            case 1:
                for (int i = 0; i < length; i++)
                {
                    payload[i] = random.Next(3) == 0 ? FrameFormat.Header : (byte)random.Next(4);
                }

                break;
            case 2 when length >= 5:
                // A valid frame inside the payload: a ready-made false candidate once the outer frame is damaged.
                random.NextBytes(payload);
                int inner = random.Next(0, length - 4);
                byte[] innerFrame = FrameWriter.ToArray((byte)random.Next(256), RandomBytes(random, random.Next(0, length - inner - 4)));
                innerFrame.CopyTo(payload, inner);
                break;
            default:
                random.NextBytes(payload);
                break;
        }

        int index = _frames.Count;
        _frames.Add((command, payload));
        byte[] wire = FrameWriter.ToArray(command, payload);
        for (int j = 0; j < wire.Length; j++)
        {
            _bytes.Add(wire[j]);
            _origin.Add((index, j, false));
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private List<byte> Garbage(Random random)
    {
        var garbage = new List<byte>();
        switch (random.Next(4))
        {
            case 0:
                garbage.AddRange(RandomBytes(random, random.Next(1, 9)));
                break;
            case 1:
                garbage.AddRange(Enumerable.Repeat(FrameFormat.Header, random.Next(1, 4)));
                break;
            case 2:
                // A header with a plausible len: a candidate that claims bytes of what follows.
                int len = random.Next(0, Math.Min(MaxPayloadLength, 12) + 1);
                garbage.AddRange([FrameFormat.Header, (byte)random.Next(256), (byte)len, 0]);
                break;
            default:
                // A whole valid frame that no one sent.
                garbage.AddRange(FrameWriter.ToArray((byte)random.Next(256), RandomBytes(random, random.Next(0, Math.Min(MaxPayloadLength, 4) + 1))));
                break;
        }

        return garbage;
    }

    private void AddGarbage(Random random, int at)
    {
        List<byte> garbage = Garbage(random);
        int position = at < 0 ? _bytes.Count : at;
        _bytes.InsertRange(position, garbage);
        _origin.InsertRange(position, garbage.Select(_ => (-1, 0, false)));
    }

    private void Corrupt(Random random)
    {
        int count = _bytes.Count;
        switch (random.Next(4))
        {
            case 0 when count > 0:
            {
                int p = random.Next(count);
                int bit = random.Next(8);
                _bytes[p] ^= (byte)(1 << bit);
                _origin[p] = _origin[p] with { Flipped = true };
                Log.Add($"flip bit {bit} at {p}");
                break;
            }

            case 1:
            {
                int p = random.Next(count + 1);
                AddGarbage(random, p);
                Log.Add($"insert {_bytes.Count - count} bytes at {p}");
                break;
            }

            case 2 when count > 0:
            {
                int p = random.Next(count);
                int n = Math.Min(random.Next(1, 4), count - p);
                _bytes.RemoveRange(p, n);
                _origin.RemoveRange(p, n);
                Log.Add($"delete {n} bytes at {p}");
                break;
            }

            case 3 when count > 0:
            {
                int p = random.Next(count);
                _bytes.RemoveRange(p, count - p);
                _origin.RemoveRange(p, count - p);
                Log.Add($"truncate at {p}");
                break;
            }

            default:
                Log.Add("nothing");
                break;
        }
    }

    private void Finish()
    {
        Data = _bytes.ToArray();
        for (int f = 0; f < _frames.Count; f++)
        {
            int length = _frames[f].Payload.Length + FrameFormat.Overhead;
            int start = _origin.FindIndex(o => o.Frame == f);
            if (start < 0 || start + length > _origin.Count || _origin.Count(o => o.Frame == f) != length)
            {
                continue;
            }

            bool intact = true;
            for (int j = 0; j < length; j++)
            {
                var o = _origin[start + j];
                if (o.Frame != f || o.Offset != j || o.Flipped)
                {
                    intact = false;
                    break;
                }
            }

            if (intact)
            {
                Untouched.Add((start, length, SampleFrames.Text(_frames[f].Command, _frames[f].Payload)));
            }
        }
    }

    public override string ToString() =>
        $"limit {MaxPayloadLength}, {OriginalFrames} frames, {Data.Length} bytes, [{string.Join("; ", Log)}]: {Convert.ToHexString(Data)}";
}
