using System.Buffers;
using System.IO.Pipelines;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.Framing;
using Mcp.Frames.Transports;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>
/// A fault wrapper on an in-memory link, without a device: the test plays the device on <see cref="Device"/> and the
/// peer on <see cref="Peer"/>, and looks at exactly the bytes that cross.
/// </summary>
internal sealed class FaultHarness : IAsyncDisposable
{
    public FaultHarness(FaultSettings settings, TimeProvider? time = null, int linkNumber = 0)
    {
        Controller = new FaultController(settings, time ?? TimeProvider.System);
        (InMemoryTransport peer, InMemoryTransport device) = InMemoryTransport.CreatePair("peer", "device");
        Peer = peer;
        Device = new FaultyTransport(device, Controller, linkNumber, 1024, time ?? TimeProvider.System);
    }

    public FaultController Controller { get; }

    public InMemoryTransport Peer { get; }

    internal FaultyTransport Device { get; }

    public static byte[][] Frames(int count, int seed = 0)
    {
        var random = new Random(seed);
        var frames = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            byte[] payload = new byte[random.Next(1, 40)];
            random.NextBytes(payload);
            frames[i] = FrameWriter.ToArray((byte)(0x80 | (i % 64)), payload);
        }

        return frames;
    }

    /// <summary>Writes frames as the device (one flush, or one flush per frame) and ends its output; returns what the peer received.</summary>
    public async Task<byte[]> SendOutboundAsync(IEnumerable<byte[]> frames, bool flushEach = false)
    {
        foreach (byte[] frame in frames)
        {
            Device.Output.Write(frame);
            if (flushEach)
            {
                await Device.Output.FlushAsync().Within();
            }
        }

        await Device.Output.FlushAsync().Within();
        await Device.Output.CompleteAsync();
        return await ReadToEndAsync(Peer.Input);
    }

    /// <summary>Writes frames as the peer and ends its output; returns what the device received.</summary>
    public async Task<byte[]> SendInboundAsync(IEnumerable<byte[]> frames)
    {
        foreach (byte[] frame in frames)
        {
            Peer.Output.Write(frame);
        }

        await Peer.Output.FlushAsync().Within();
        await Peer.Output.CompleteAsync();
        return await ReadToEndAsync(Device.Input);
    }

    public static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync().Within();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return received.WrittenSpan.ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Device.DisposeAsync().Within();
        await Peer.DisposeAsync();
    }
}
