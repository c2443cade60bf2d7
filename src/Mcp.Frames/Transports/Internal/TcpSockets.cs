using System.Net;
using System.Net.Sockets;

namespace Mcp.Frames.Transports;

/// <summary>Socket settings shared by the TCP connector and listener.</summary>
internal static class TcpSockets
{
    /// <summary>Idle time before the first keep-alive probe. Dead peers are found by the heartbeat sooner; this
    /// catches half-open connections when the heartbeat is off.</summary>
    public const int KeepAliveTimeSeconds = 30;

    public const int KeepAliveIntervalSeconds = 5;

    public const int KeepAliveRetryCount = 3;

    /// <summary>Frames are small and latency matters more than packet count: no Nagle delay.</summary>
    public static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, KeepAliveTimeSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepAliveIntervalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepAliveRetryCount);
        }
        catch (SocketException)
        {
            // Older platforms without per-socket keep-alive tuning keep the system defaults.
        }
    }

    /// <summary>Formats an endpoint as <c>host:port</c> (IPv6 in brackets), unmapping IPv4-mapped addresses.</summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint { Address.IsIPv4MappedToIPv6: true } ip => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port).ToString(),
        null => "?",
        _ => endPoint.ToString() ?? "?",
    };
}
