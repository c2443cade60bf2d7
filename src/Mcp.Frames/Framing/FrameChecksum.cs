using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mcp.Frames.Framing;

/// <summary>
/// The frame check of PROTOCOL.md §1: the XOR of every byte.
/// </summary>
/// <remarks>
/// Vectorized with <see cref="Vector256{T}"/> and <see cref="Vector128{T}"/> where the hardware accelerates them,
/// with a scalar tail. XOR is associative and commutative, so lanes can be folded in any order.
/// </remarks>
public static class FrameChecksum
{
    /// <summary>Returns the XOR of every byte of <paramref name="data"/> (0 for an empty span).</summary>
    /// <param name="data">The bytes to check.</param>
    /// <returns>The XOR of all bytes.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        // Short frames (the common case for MCP/1 requests) never reach the vector code.
        if (data.Length < 16)
        {
            return ComputeScalar(data);
        }

        return ComputeVector(data);
    }

    /// <summary>The plain one-byte-at-a-time XOR. Public so that tests and benchmarks can compare against it.</summary>
    /// <param name="data">The bytes to check.</param>
    /// <returns>The XOR of all bytes.</returns>
    public static byte ComputeScalar(ReadOnlySpan<byte> data)
    {
        int x = 0;
        foreach (byte b in data)
        {
            x ^= b;
        }

        return (byte)x;
    }

    private static byte ComputeVector(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;
        ulong acc = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> a0 = Vector256<byte>.Zero;
            Vector256<byte> a1 = Vector256<byte>.Zero;
            nuint step = (nuint)Vector256<byte>.Count;

            // Two accumulators keep two XORs in flight per cycle on wide cores.
            for (; i + (2 * step) <= length; i += 2 * step)
            {
                a0 ^= Vector256.LoadUnsafe(ref start, i);
                a1 ^= Vector256.LoadUnsafe(ref start, i + step);
            }

            if (i + step <= length)
            {
                a0 ^= Vector256.LoadUnsafe(ref start, i);
                i += step;
            }

            Vector256<ulong> folded = (a0 ^ a1).AsUInt64();
            acc = folded.GetElement(0) ^ folded.GetElement(1) ^ folded.GetElement(2) ^ folded.GetElement(3);
        }

        if (Vector128.IsHardwareAccelerated)
        {
            nuint step = (nuint)Vector128<byte>.Count;
            Vector128<byte> a = Vector128<byte>.Zero;
            for (; i + step <= length; i += step)
            {
                a ^= Vector128.LoadUnsafe(ref start, i);
            }

            Vector128<ulong> folded = a.AsUInt64();
            acc ^= folded.GetElement(0) ^ folded.GetElement(1);
        }

        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            acc ^= Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i));
        }

        uint x = (uint)(acc ^ (acc >> 32));
        x ^= x >> 16;
        x ^= x >> 8;
        for (; i < length; i++)
        {
            x ^= Unsafe.Add(ref start, i);
        }

        return (byte)x;
    }
}
