using Mcp.Frames.Framing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Framing;

/// <summary>The vectorized frame check against the scalar one and against a plain loop.</summary>
[TestFixture]
public class FrameChecksumTests
{
    private static byte NaiveXor(byte[] data, int offset, int length)
    {
        int x = 0;
        for (int i = offset; i < offset + length; i++)
        {
            x ^= data[i];
        }

        return (byte)x;
    }

    [Test]
    public void Vector_equals_scalar_for_every_length_0_to_600_at_every_offset_0_to_63([Values(1, 2)] int seed)
    {
        var random = new Random(seed);
        byte[] data = new byte[64 + 600 + 64];
        random.NextBytes(data);
        for (int length = 0; length <= 600; length++)
        {
            for (int offset = 0; offset < 64; offset++)
            {
                ReadOnlySpan<byte> span = data.AsSpan(offset, length);
                byte expected = NaiveXor(data, offset, length);
                byte scalar = FrameChecksum.ComputeScalar(span);
                byte vector = FrameChecksum.Compute(span);
                if (scalar != expected || vector != expected)
                {
                    Assert.Fail($"length {length} offset {offset}: naive {expected:X2}, scalar {scalar:X2}, vector {vector:X2}");
                }
            }
        }
    }

    [Test]
    public void A_single_set_bit_anywhere_is_seen([Values(0, 1, 7, 31, 33)] int offset)
    {
        // One non-zero byte per run, at each position of each length: every lane and the tail must be folded in.
        byte[] data = new byte[offset + 600];
        for (int length = 1; length <= 600; length += length < 200 ? 1 : 7)
        {
            for (int position = 0; position < length; position++)
            {
                byte bit = (byte)(1 << (position % 8));
                data[offset + position] = bit;
                byte vector = FrameChecksum.Compute(data.AsSpan(offset, length));
                data[offset + position] = 0;
                if (vector != bit)
                {
                    Assert.Fail($"length {length} position {position}: got {vector:X2}, expected {bit:X2}");
                }
            }
        }
    }

    [Test]
    public void Empty_is_zero()
    {
        Assert.That(FrameChecksum.Compute([]), Is.Zero);
        Assert.That(FrameChecksum.ComputeScalar([]), Is.Zero);
    }

    [Test]
    public void Random_lengths_and_alignments_into_a_large_array([Values(3, 4, 5)] int seed)
    {
        var random = new Random(seed);
        byte[] data = new byte[70_000];
        random.NextBytes(data);
        for (int i = 0; i < 2000; i++)
        {
            int length = random.Next(0, i < 1000 ? 600 : 65_541);
            int offset = random.Next(0, 64) + random.Next(0, data.Length - length - 64);
            ReadOnlySpan<byte> span = data.AsSpan(offset, length);
            Assert.That(FrameChecksum.Compute(span), Is.EqualTo(FrameChecksum.ComputeScalar(span)), $"length {length} offset {offset}");
        }
    }
}
