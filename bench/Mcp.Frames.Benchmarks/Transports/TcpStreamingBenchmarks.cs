using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Framing;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Benchmarks.Transports;

/// <summary>
/// 256-byte-payload frames streamed one way over TCP loopback: through <see cref="TcpTransportConnector"/> /
/// <see cref="TcpTransportListener"/> transports and a <see cref="FrameReader"/>, beside a raw byte copy of the same
/// bytes over a plain loopback socket pair (the baseline), sent in the same chunks as the transport's flushes.
/// One operation is one frame.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(TransportBenchmarkConfig))]
public class TcpStreamingBenchmarks
{
    private const int Frames = 32 * 1024; // 8.5 MB per invocation

    private byte[] _wire = null!;

    /// <summary>Frames written per flush: 16 (about 4 KB, a small burst) or 251 (about 64 KB, the baseline's chunk).</summary>
    [Params(16, 251)]
    public int FramesPerFlush { get; set; }

    private Socket _rawSender = null!;
    private Socket _rawReceiver = null!;
    private readonly byte[] _rawBuffer = new byte[64 * 1024];
    private TcpTransportListener _listener = null!;
    private ITransport _sender = null!;
    private ITransport _receiver = null!;
    private CountingSink _sink = null!;
    private Task _readLoop = null!;
    private ITransport _bytesSender = null!;
    private ITransport _bytesReceiver = null!;

    [GlobalSetup]
    public async Task SetUp()
    {
        _wire = StreamingWorkload.Encode(Frames);

        using (var listen = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            listen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listen.Listen();
            _rawSender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            Task<Socket> accepted = listen.AcceptAsync();
            await _rawSender.ConnectAsync(listen.LocalEndPoint!);
            _rawReceiver = await accepted;
            _rawReceiver.NoDelay = true;
        }

        _listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0));
        ValueTask<ITransport> accepting = _listener.AcceptAsync();
        _sender = await new TcpTransportConnector("127.0.0.1", _listener.LocalEndPoint.Port).ConnectAsync();
        _receiver = await accepting;
        _sink = new CountingSink();
        _readLoop = new FrameReader(_receiver.Input, new FrameParser()).RunAsync(_sink);

        accepting = _listener.AcceptAsync();
        _bytesSender = await new TcpTransportConnector("127.0.0.1", _listener.LocalEndPoint.Port).ConnectAsync();
        _bytesReceiver = await accepting;
    }

    [GlobalCleanup]
    public async Task CleanUp()
    {
        _rawSender.Dispose();
        _rawReceiver.Dispose();
        await _sender.DisposeAsync();
        await _readLoop;
        await _receiver.DisposeAsync();
        await _bytesSender.DisposeAsync();
        await _bytesReceiver.DisposeAsync();
        await _listener.DisposeAsync();
        if (_sink.BadFrames != 0)
        {
            throw new InvalidOperationException($"{_sink.BadFrames} bad frames");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Frames, Description = "raw socket byte copy")]
    public async Task RawSocketCopy()
    {
        Task send = SendAllAsync();
        int received = 0;
        while (received < _wire.Length)
        {
            int n = await _rawReceiver.ReceiveAsync(_rawBuffer, SocketFlags.None);
            if (n == 0)
            {
                throw new InvalidOperationException("closed");
            }

            received += n;
        }

        await send;
    }

    [Benchmark(OperationsPerInvoke = Frames, Description = "TcpTransport + FrameReader")]
    public async Task TransportFrames()
    {
        Task arrived = _sink.Expect(Frames);
        await StreamingWorkload.WriteFramesAsync(_sender.Output, Frames, FramesPerFlush);
        await arrived;
    }

    /// <summary>The raw copy's bytes through the transports, no codec: what the pipes and loops cost by themselves.</summary>
    [Benchmark(OperationsPerInvoke = Frames, Description = "TcpTransport byte copy (no codec)")]
    public async Task TransportBytes()
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
        int chunk = FramesPerFlush * StreamingWorkload.FrameLength;
        for (int offset = 0; offset < _wire.Length; offset += chunk)
        {
            await output.WriteAsync(_wire.AsMemory(offset, Math.Min(chunk, _wire.Length - offset)));
        }
    }

    private async Task SendAllAsync()
    {
        // The same bytes in the same chunks as the transport's flushes: one send per flush.
        int chunk = FramesPerFlush * StreamingWorkload.FrameLength;
        for (int offset = 0; offset < _wire.Length; offset += chunk)
        {
            await _rawSender.SendAsync(_wire.AsMemory(offset, Math.Min(chunk, _wire.Length - offset)), SocketFlags.None);
        }
    }
}
