using System.Buffers.Binary;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>Hand-made request bodies, for requests the typed client would refuse to build.</summary>
internal static class Body
{
    public static byte[] Write(byte slot, ushort register, params int[] values)
    {
        byte[] body = new byte[3 + (4 * values.Length)];
        body[0] = slot;
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(1), register);
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(3 + (4 * i)), values[i]);
        }

        return body;
    }

    public static byte[] ConfigSet(byte slot, uint expectedVersion, params (ushort Register, int Value)[] entries)
    {
        byte[] body = new byte[6 + (6 * entries.Length)];
        body[0] = slot;
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(1), expectedVersion);
        body[5] = (byte)entries.Length;
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(6 + (6 * i)), entries[i].Register);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(8 + (6 * i)), entries[i].Value);
        }

        return body;
    }
}
