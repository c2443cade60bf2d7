using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>
/// 256-byte-payload frames streamed one way through a socat pseudo-terminal pair: from one
/// <see cref="SerialTransport"/> to another and a <see cref="FrameReader"/>, beside a raw byte copy of the same bytes
/// between two <see cref="FileStream"/>s on another pair of the same kind (the baseline), written in the same chunks as
/// the transport's flushes. A pty ignores the baud rate:
/// this measures the software path, not a serial line. One operation is one frame.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TransportBenchmarkConfig))]
public class SerialStreamingBenchmarks
{
    private const int Frames = 4096; // 1.07 MB per invocation

    private byte[] _wire = null!;

    /// <summary>Frames written per flush: 16 (about 4 KB, a small burst) or 251 (about 64 KB, the baseline's chunk).</summary>
    [Params(16, 251)]
    public int FramesPerFlush { get; set; }

    private readonly byte[] _rawBuffer = new byte[64 * 1024];
    private PtyPair _rawPty = null!;
    private FileStream _rawWriter = null!;
    private FileStream _rawReader = null!;
    private PtyPair _pty = null!;
    private ITransport _sender = null!;
    private ITransport _receiver = null!;
    private CountingSink _sink = null!;
    private Task _readLoop = null!;

    [GlobalSetup]
    public async Task SetUp()
    {
        _wire = StreamingWorkload.Encode(Frames);
        _rawPty = new PtyPair();
        _rawWriter = new FileStream(_rawPty.A, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        _rawReader = new FileStream(_rawPty.B, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);

        _pty = new PtyPair();
        _sender = await new SerialTransportConnector(new SerialTransportOptions { PortName = _pty.A }).ConnectAsync();
        _receiver = await new SerialTransportConnector(new SerialTransportOptions { PortName = _pty.B }).ConnectAsync();
        _sink = new CountingSink();
        _readLoop = new FrameReader(_receiver.Input, new FrameParser()).RunAsync(_sink);
    }

    [GlobalCleanup]
    public async Task CleanUp()
    {
        _rawWriter.Dispose();
        _rawReader.Dispose();
        _rawPty.Dispose();
        await _sender.DisposeAsync();
        await _receiver.DisposeAsync();
        try
        {
            await _readLoop;
        }
        catch (TransportException)
        {
            // the pty going away at the end
        }

        _pty.Dispose();
        if (_sink.BadFrames != 0)
        {
            throw new InvalidOperationException($"{_sink.BadFrames} bad frames");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames, Description = "raw FileStream pty byte copy")]
    public async Task RawPtyCopy()
    {
        int chunk = FramesPerFlush * StreamingWorkload.FrameLength; // one write per flush, as through the transport
        Task send = Task.Run(() =>
        {
            for (int offset = 0; offset < _wire.Length; offset += chunk)
            {
                _rawWriter.Write(_wire, offset, Math.Min(chunk, _wire.Length - offset));
            }
        });
        int received = 0;
        while (received < _wire.Length)
        {
            int n = _rawReader.Read(_rawBuffer, 0, _rawBuffer.Length);
            if (n == 0)
            {
                throw new InvalidOperationException("closed");
            }

            received += n;
        }

        await send;
    }

    [Benchmark(OperationsPerInvoke = Frames, Description = "SerialTransport + FrameReader")]
    public async Task SerialTransportFrames()
    {
        Task arrived = _sink.Expect(Frames);
        await StreamingWorkload.WriteFramesAsync(_sender.Output, Frames, FramesPerFlush);
        await arrived;
    }
}
