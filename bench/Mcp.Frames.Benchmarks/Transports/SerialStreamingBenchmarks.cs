using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>
/// 256-byte-payload frames streamed one way through a socat pseudo-terminal pair: from one
/// <see cref="SerialTransport"/> to another and a <see cref="FrameReader"/>, once through each backend
/// (<see cref="SerialBackend.SystemIoPorts"/> and <see cref="SerialBackend.NativeTty"/>, each on its own pair), beside a
/// raw byte copy of the same bytes between two <see cref="FileStream"/>s on another pair of the same kind (the
/// baseline), written in the same chunks as the transports' flushes; and the baseline's bytes through two native-backend
/// transports without the codec, to tell the transport's cost from the codec's. A pty ignores the baud rate: this
/// measures the software path, not a serial line. One operation is one frame.
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
    private SerialLink _systemIoPorts = null!;
    private SerialLink _nativeTty = null!;
    private PtyPair _bytesPty = null!;
    private SerialTransport _bytesSender = null!;
    private SerialTransport _bytesReceiver = null!;

    // Each benchmark sets up only its own link: an idle System.IO.Ports port keeps its I/O thread waking every
    // millisecond, which would slow down whatever else is measured beside it.
    [GlobalSetup(Target = nameof(RawPtyCopy))]
    public void SetUpRaw()
    {
        _wire = StreamingWorkload.Encode(Frames);
        _rawPty = new PtyPair();
        _rawWriter = new FileStream(_rawPty.A, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        _rawReader = new FileStream(_rawPty.B, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
    }

    [GlobalCleanup(Target = nameof(RawPtyCopy))]
    public void CleanUpRaw()
    {
        _rawWriter.Dispose();
        _rawReader.Dispose();
        _rawPty.Dispose();
    }

    [GlobalSetup(Target = nameof(SerialTransportFrames))]
    public async Task SetUpSystemIoPorts() => _systemIoPorts = await SerialLink.OpenAsync(SerialBackend.SystemIoPorts);

    [GlobalCleanup(Target = nameof(SerialTransportFrames))]
    public Task CleanUpSystemIoPorts() => _systemIoPorts.DisposeAsync().AsTask();

    [GlobalSetup(Target = nameof(NativeTtyTransportFrames))]
    public async Task SetUpNativeTty() => _nativeTty = await SerialLink.OpenAsync(SerialBackend.NativeTty);

    [GlobalCleanup(Target = nameof(NativeTtyTransportFrames))]
    public Task CleanUpNativeTty() => _nativeTty.DisposeAsync().AsTask();

    [GlobalSetup(Target = nameof(NativeTtyTransportBytes))]
    public async Task SetUpNativeTtyBytes()
    {
        _wire = StreamingWorkload.Encode(Frames);
        _bytesPty = new PtyPair();
        _bytesSender = await new SerialTransportConnector(new SerialTransportOptions { PortName = _bytesPty.A, Backend = SerialBackend.NativeTty }).OpenAsync();
        _bytesReceiver = await new SerialTransportConnector(new SerialTransportOptions { PortName = _bytesPty.B, Backend = SerialBackend.NativeTty }).OpenAsync();
    }

    [GlobalCleanup(Target = nameof(NativeTtyTransportBytes))]
    public async Task CleanUpNativeTtyBytes()
    {
        await _bytesSender.DisposeAsync();
        await _bytesReceiver.DisposeAsync();
        _bytesPty.Dispose();
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

    [Benchmark(OperationsPerInvoke = Frames, Description = "SerialTransport (System.IO.Ports) + FrameReader")]
    public Task SerialTransportFrames() => _systemIoPorts.StreamAsync(Frames, FramesPerFlush);

    [Benchmark(OperationsPerInvoke = Frames, Description = "SerialTransport (native tty) + FrameReader")]
    public Task NativeTtyTransportFrames() => _nativeTty.StreamAsync(Frames, FramesPerFlush);

    /// <summary>The raw copy's bytes through two native-backend transports, no codec: what the transport costs alone.</summary>
    [Benchmark(OperationsPerInvoke = Frames, Description = "SerialTransport (native tty) byte copy (no codec)")]
    public async Task NativeTtyTransportBytes()
    {
        Task send = WriteAllAsync(_bytesSender.Output);
        long received = 0;
        while (received < _wire.Length)
        {
            ReadResult result = await _bytesReceiver.Input.ReadAsync();
            received += result.Buffer.Length;
            _bytesReceiver.Input.AdvanceTo(result.Buffer.End);
        }

        await send;
    }

    private async Task WriteAllAsync(PipeWriter output)
    {
        int chunk = FramesPerFlush * StreamingWorkload.FrameLength; // one flush per chunk, as the raw copy writes
        for (int offset = 0; offset < _wire.Length; offset += chunk)
        {
            await output.WriteAsync(_wire.AsMemory(offset, Math.Min(chunk, _wire.Length - offset)));
        }
    }

    /// <summary>Two serial transports of one backend on a pty pair of their own, with a frame reader on the receiving end.</summary>
    private sealed class SerialLink : IAsyncDisposable
    {
        private readonly PtyPair _pty;
        private readonly ITransport _sender;
        private readonly ITransport _receiver;
        private readonly CountingSink _sink = new();
        private readonly Task _readLoop;

        private SerialLink(PtyPair pty, ITransport sender, ITransport receiver)
        {
            _pty = pty;
            _sender = sender;
            _receiver = receiver;
            _readLoop = new FrameReader(_receiver.Input, new FrameParser()).RunAsync(_sink);
        }

        public static async Task<SerialLink> OpenAsync(SerialBackend backend)
        {
            var pty = new PtyPair();
            SerialTransport sender = await new SerialTransportConnector(new SerialTransportOptions { PortName = pty.A, Backend = backend }).OpenAsync();
            SerialTransport receiver = await new SerialTransportConnector(new SerialTransportOptions { PortName = pty.B, Backend = backend }).OpenAsync();
            if (sender.Backend != backend || receiver.Backend != backend)
            {
                throw new InvalidOperationException($"asked for {backend}, got {sender.Backend}");
            }

            return new SerialLink(pty, sender, receiver);
        }

        public async Task StreamAsync(int frames, int framesPerFlush)
        {
            Task arrived = _sink.Expect(frames);
            await StreamingWorkload.WriteFramesAsync(_sender.Output, frames, framesPerFlush);
            await arrived;
        }

        public async ValueTask DisposeAsync()
        {
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
    }
}
