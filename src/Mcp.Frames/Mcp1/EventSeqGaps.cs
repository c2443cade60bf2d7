using System.Buffers.Binary;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// Counts <c>eventSeq</c> gaps of EVENTs as they arrive, on the read loop before the subscriber's queue: events the
/// link lost, not the ones the queue dropped later. Until the SUBSCRIBE answer names the subId, the queue takes every
/// EVENT, so the gaps are kept per subId (three arrays of 256, allocated once per subscription, nothing per event).
/// A single writer (the read loop); the counts are read from any thread.
/// </summary>
internal sealed class EventSeqGaps : IOneWayArrivals
{
    private readonly ushort[] _last = new ushort[256];
    private readonly bool[] _seen = new bool[256];
    private readonly long[] _lost = new long[256];

    public void OnArrived(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < EventPayload.HeaderLength)
        {
            return; // no eventSeq to read; the subscriber counts it as malformed
        }

        byte id = payload[0];
        ushort seq = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(1));
        if (_seen[id])
        {
            ushort gap = (ushort)(seq - (ushort)(_last[id] + 1));
            if (gap >= 0x8000)
            {
                return; // a duplicate, or older than one already seen
            }

            Volatile.Write(ref _lost[id], _lost[id] + gap);
        }

        _seen[id] = true;
        _last[id] = seq;
    }

    /// <summary>Events of subscription <paramref name="id"/> that never arrived.</summary>
    /// <param name="id">The subId.</param>
    /// <returns>The sum of its gaps so far.</returns>
    public long LostOf(byte id) => Volatile.Read(ref _lost[id]);
}
