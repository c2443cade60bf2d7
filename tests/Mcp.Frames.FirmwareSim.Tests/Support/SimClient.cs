using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>A gateway-side test client: the library's FrameConnection and McpClient on a link to a simulated device.</summary>
internal sealed class SimClient : IAsyncDisposable
{
    private SimClient(FrameConnection connection)
    {
        Connection = connection;
        Mcp = new McpClient(connection);
    }

    public FrameConnection Connection { get; }

    public McpClient Mcp { get; }

    public static async Task<SimClient> ConnectAsync(SimHost host, LinkKind kind, int maxPayload = 256, string name = "client")
    {
        ITransport transport = kind switch
        {
            LinkKind.InMemory => host.ConnectInMemory(),
            LinkKind.Tcp => await new TcpTransportConnector("127.0.0.1", host.TcpEndPoint!.Port).ConnectAsync().Within(),
            LinkKind.Pty => await new SerialTransportConnector(new SerialTransportOptions { PortName = PtyPath(host) }).ConnectAsync().Within(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return Start(transport, maxPayload, name);
    }

    public static SimClient Start(ITransport transport, int maxPayload = 256, string name = "client")
    {
        var connection = new FrameConnection(transport, null, new FrameConnectionOptions
        {
            Name = name,
            MaxPayloadLength = maxPayload,
            RequestTimeout = TimeSpan.FromSeconds(5),
        });
        connection.Start();
        return new SimClient(connection);
    }

    public static string PtyPath(SimHost host) => host.Endpoints.First(e => e.Kind == "pty").Address;

    /// <summary>Sends a request once and returns the status it was answered with (and the body).</summary>
    public async Task<(McpStatus Status, byte[] Body)> RawAsync(byte command, params byte[] body)
    {
        using Response response = await Connection.SendRawRequestAsync(command, body).Within();
        return ((McpStatus)response.Status, response.Body.ToArray());
    }

    public async Task<McpStatus> StatusOfAsync(byte command, params byte[] body) => (await RawAsync(command, body)).Status;

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
