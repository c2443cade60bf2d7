using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mcp.Frames.Connections;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>
/// One request at a time over TCP loopback, beside the baseline: a raw-socket ping-pong of the same frame bytes
/// (the 14-byte PING request, the 15-byte echo) with blocking <see cref="Socket.Send(byte[])"/> and
/// <see cref="Socket.Receive(byte[])"/> on both sides. Each invocation runs <see cref="Batch"/> sequential round
/// trips; numbers are per round trip.
/// </summary>
[MemoryDiagnoser]
public class TcpRoundTripBenchmarks
{
    private const int Batch = 100;
    private readonly byte[] _body = [1, 2, 3, 4, 5, 6, 7, 8];
    private byte[] _requestFrame = null!;
    private byte[] _responseFrame = null!;
    private byte[] _clientBuffer = null!;
    private Socket _rawClient = null!;
    private Socket _rawServer = null!;
    private Thread _rawEcho = null!;
    private Socket _asyncClient = null!;
    private Socket _asyncServer = null!;
    private Task _asyncEcho = null!;
    private BenchLink _link = null!;
    private McpClient _client = null!;
    private BenchLink _transportLink = null!;
    private FrameConnection _rawDeviceGateway = null!;
    private IAsyncDisposable _rawDevice = null!;

    [GlobalSetup]
    public void Setup()
    {
        _requestFrame = FrameWriter.ToArray(McpCommand.Ping, [0, .. _body]);
        _responseFrame = FrameWriter.ToArray(McpCommand.Ping | 0x80, [0, 0, .. _body]);
        _clientBuffer = new byte[_responseFrame.Length];
        (_rawClient, _rawServer) = BenchLink.ConnectLoopback();
        _rawEcho = BenchLink.StartBlockingEcho(_rawServer, _requestFrame.Length, _responseFrame);
        (_asyncClient, _asyncServer) = BenchLink.ConnectLoopback();
        _asyncEcho = AsyncEchoLoopAsync();

        _link = BenchLink.Tcp();
        _client = new McpClient(_link.Gateway);
        _transportLink = BenchLink.TcpTransports();
        (_rawDeviceGateway, _rawDevice) = BenchLink.TcpTransportToRawEcho(_requestFrame.Length, _responseFrame);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _rawClient.Shutdown(SocketShutdown.Both);
        _rawClient.Dispose();
        _rawEcho.Join(TimeSpan.FromSeconds(5));
        _rawServer.Dispose();
        _asyncClient.Shutdown(SocketShutdown.Both);
        _asyncClient.Dispose();
        await _asyncEcho.WaitAsync(TimeSpan.FromSeconds(5));
        _asyncServer.Dispose();
        await _link.DisposeAsync();
        await _transportLink.DisposeAsync();
        await _rawDevice.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int RawSocketPingPong()
    {
        int total = 0;
        for (int i = 0; i < Batch; i++)
        {
            _rawClient.Send(_requestFrame);
            total += BenchLink.ReceiveExactly(_rawClient, _clientBuffer);
        }

        return total;
    }

    /// <summary>
    /// The same ping-pong with <c>await</c>ed <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>
    /// and <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> on both sides: the cost of the
    /// asynchronous socket model itself, which every async stack (this one included) pays.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task<int> RawSocketAsyncPingPong()
    {
        int total = 0;
        for (int i = 0; i < Batch; i++)
        {
            await _asyncClient.SendAsync(_requestFrame, SocketFlags.None);
            total += await ReceiveExactlyAsync(_asyncClient, _clientBuffer);
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ConnectionPing_Tcp() => _link.PingAsync(_body, Batch);

    /// <summary>The same PINGs over the library's own <see cref="Transports.TcpTransportConnector"/> and listener.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ConnectionPing_TcpTransport() => _transportLink.PingAsync(_body, Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<TimeSpan> McpClientPing_Tcp() => BenchLink.PingAsync(_client, Batch);

    /// <summary>
    /// The gateway side only: the library's connection over its <see cref="Transports.TcpTransportConnector"/> to the
    /// baseline's own blocking echo thread, which plays the device's firmware.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public Task<int> ConnectionPing_TcpTransport_ToRawEcho() => BenchLink.PingAsync(_rawDeviceGateway, _body, Batch);


    private static async ValueTask<int> ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
            if (n == 0)
            {
                return received;
            }

            received += n;
        }

        return received;
    }

    private async Task AsyncEchoLoopAsync()
    {
        await Task.Yield();
        byte[] request = new byte[_requestFrame.Length];
        try
        {
            while (await ReceiveExactlyAsync(_asyncServer, request) == request.Length)
            {
                await _asyncServer.SendAsync(_responseFrame, SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // The client went away at cleanup.
        }
    }
}
