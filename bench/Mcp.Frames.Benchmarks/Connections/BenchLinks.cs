using Mcp.Frames.Mcp1;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Mcp.Frames.Connections;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Benchmarks.Connections;

/// <summary>A gateway and a device connection over an in-memory pipe pair or over TCP loopback, for the connection benchmarks.</summary>
internal sealed class BenchLink : IAsyncDisposable
{
    private readonly List<IDisposable> _resources = [];
    private readonly List<IAsyncDisposable> _asyncResources = [];

    private BenchLink()
    {
    }

    public FrameConnection Gateway { get; private set; } = null!;

    public FrameConnection Device { get; private set; } = null!;

    /// <summary>Two <see cref="Pipe"/>s cross-wired (continuations on the thread pool).</summary>
    public static BenchLink InMemory(Action<FrameConnectionOptions>? gateway = null, Action<FrameConnectionOptions>? device = null)
    {
        var toGateway = new Pipe();
        var toDevice = new Pipe();
        var link = new BenchLink();
        link.Start(new Duplex(toGateway.Reader, toDevice.Writer), new Duplex(toDevice.Reader, toGateway.Writer), gateway, device);
        return link;
    }

    /// <summary>
    /// Plain sockets on 127.0.0.1 (port 0, Nagle off), each wrapped as an <see cref="IDuplexPipe"/> with
    /// <see cref="PipeReader.Create(Stream, StreamPipeReaderOptions?)"/> and <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/>.
    /// </summary>
    public static BenchLink Tcp(Action<FrameConnectionOptions>? gateway = null, Action<FrameConnectionOptions>? device = null)
    {
        (Socket client, Socket server) = ConnectLoopback();
        var link = new BenchLink();
        link._resources.Add(client);
        link._resources.Add(server);
        link.Start(Wrap(client), Wrap(server), gateway, device);
        return link;
    }

    /// <summary>The library's own TCP transport: a <see cref="TcpTransportListener"/> on 127.0.0.1 port 0 and a <see cref="TcpTransportConnector"/>.</summary>
    public static BenchLink TcpTransports(Action<FrameConnectionOptions>? gateway = null, Action<FrameConnectionOptions>? device = null)
    {
        var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0));
        Task<ITransport> accepted = listener.AcceptAsync().AsTask();
        ITransport client = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port).ConnectAsync().AsTask().GetAwaiter().GetResult();
        ITransport server = accepted.GetAwaiter().GetResult();
        var link = new BenchLink();
        link._asyncResources.Add(client);
        link._asyncResources.Add(server);
        link._asyncResources.Add(listener);
        link.Start(client, server, gateway, device);
        return link;
    }

    /// <summary>
    /// The library's <see cref="TcpTransportConnector"/> and a gateway connection on it, to a plain socket answered by
    /// <see cref="StartBlockingEcho"/>: the stack on one side only, as against a device's firmware.
    /// </summary>
    public static (FrameConnection Gateway, IAsyncDisposable Resources) TcpTransportToRawEcho(int requestLength, byte[] response)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        ITransport client = new TcpTransportConnector("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port).ConnectAsync().AsTask().GetAwaiter().GetResult();
        Socket server = listener.Accept();
        server.NoDelay = true;
        Thread echo = StartBlockingEcho(server, requestLength, response);
        var gateway = new FrameConnection(client, options: new FrameConnectionOptions { Name = "bench-gw", RequestTimeout = TimeSpan.FromSeconds(30) });
        gateway.Start();
        return (gateway, new RawEchoResources(gateway, client, server, echo));
    }

    private sealed class RawEchoResources(FrameConnection gateway, ITransport client, Socket server, Thread echo) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await gateway.CloseAsync();
            await client.DisposeAsync();
            echo.Join(TimeSpan.FromSeconds(5));
            server.Dispose();
        }
    }

    /// <summary>A connected pair of loopback sockets with Nagle's algorithm off.</summary>
    public static (Socket Client, Socket Server) ConnectLoopback()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        Socket server = listener.Accept();
        server.NoDelay = true;
        return (client, server);
    }

    /// <summary>Fills <paramref name="buffer"/> with blocking receives; returns less at the end of the stream.</summary>
    public static int ReceiveExactly(Socket socket, byte[] buffer)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            int n = socket.Receive(buffer, received, buffer.Length - received, SocketFlags.None);
            if (n == 0)
            {
                return received;
            }

            received += n;
        }

        return received;
    }

    /// <summary>
    /// A background thread that answers every <paramref name="requestLength"/>-byte request on <paramref name="server"/>
    /// with <paramref name="response"/>, with blocking calls, until the socket is shut down. The answer carries the
    /// request's seq (payload byte 0, frame offset 4; the XOR check is adjusted), as a device's would, so the same echo
    /// answers a raw client and the library's.
    /// </summary>
    public static Thread StartBlockingEcho(Socket server, int requestLength, byte[] response)
    {
        byte[] answer = [.. response];
        var echo = new Thread(() =>
        {
            byte[] request = new byte[requestLength];
            try
            {
                while (ReceiveExactly(server, request) == request.Length)
                {
                    byte seq = request[4];
                    answer[^1] ^= (byte)(answer[4] ^ seq);
                    answer[4] = seq;
                    server.Send(answer);
                }
            }
            catch (SocketException)
            {
                // The client went away at cleanup.
            }
        })
        { IsBackground = true, Name = "raw echo" };
        echo.Start();
        return echo;
    }

    /// <summary>Sends <paramref name="count"/> PINGs one after the other through the gateway connection.</summary>
    public Task<int> PingAsync(ReadOnlyMemory<byte> body, int count) => PingAsync(Gateway, body, count);

    /// <summary>Sends <paramref name="count"/> PINGs one after the other through <paramref name="gateway"/>.</summary>
    public static async Task<int> PingAsync(FrameConnection gateway, ReadOnlyMemory<byte> body, int count)
    {
        int total = 0;
        for (int i = 0; i < count; i++)
        {
            using Response response = await gateway.SendRequestAsync(McpCommand.Ping, body);
            total += response.Body.Length;
        }

        return total;
    }

    /// <summary>Sends <paramref name="count"/> PINGs one after the other through an <see cref="McpClient"/>.</summary>
    public static async Task<TimeSpan> PingAsync(McpClient client, int count)
    {
        TimeSpan total = TimeSpan.Zero;
        for (int i = 0; i < count; i++)
        {
            total += await client.PingAsync();
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.CloseAsync();
        await Device.CloseAsync();
        foreach (IDisposable resource in _resources)
        {
            resource.Dispose();
        }

        foreach (IAsyncDisposable resource in _asyncResources)
        {
            await resource.DisposeAsync();
        }
    }

    private static Duplex Wrap(Socket socket)
    {
        var stream = new NetworkStream(socket, ownsSocket: false);
        return new Duplex(
            PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
    }

    private void Start(IDuplexPipe gatewayEnd, IDuplexPipe deviceEnd, Action<FrameConnectionOptions>? gateway, Action<FrameConnectionOptions>? device)
    {
        var gatewayOptions = new FrameConnectionOptions { Name = "bench-gw", RequestTimeout = TimeSpan.FromSeconds(30) };
        var deviceOptions = new FrameConnectionOptions { Name = "bench-dev" };
        gateway?.Invoke(gatewayOptions);
        device?.Invoke(deviceOptions);
        Gateway = new FrameConnection(gatewayEnd, options: gatewayOptions);
        Device = new FrameConnection(deviceEnd, options: deviceOptions);
        Gateway.Start();
        Device.Start();
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
