using System.Net;
using Mcp.Frames.Serial;

namespace Mcp.Frames.FirmwareSim.Hosting;

/// <summary>Where a host serves the device: a TCP endpoint, a serial port, or a pseudo-terminal it creates.</summary>
public abstract record SimEndpoint
{
    private protected SimEndpoint()
    {
    }

    /// <summary>Listens on a TCP endpoint (port 0 picks a free port); many connections at once, each its own session.</summary>
    /// <param name="endPoint">The local endpoint.</param>
    /// <returns>The endpoint.</returns>
    public static SimEndpoint Tcp(IPEndPoint endPoint) => new TcpSimEndpoint(endPoint ?? throw new ArgumentNullException(nameof(endPoint)));

    /// <summary>Listens on 127.0.0.1 with a free port (for tests).</summary>
    /// <returns>The endpoint.</returns>
    public static SimEndpoint LoopbackTcp() => Tcp(new IPEndPoint(IPAddress.Loopback, 0));

    /// <summary>Serves a serial port (one peer; the port is reopened if it goes away).</summary>
    /// <param name="options">The port settings.</param>
    /// <returns>The endpoint.</returns>
    public static SimEndpoint Serial(SerialTransportOptions options) => new SerialSimEndpoint(options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>Creates a pseudo-terminal and serves its master side; clients open the slave (Linux).</summary>
    /// <param name="linkPath">A stable symbolic link to the slave, or <see langword="null"/>.</param>
    /// <returns>The endpoint.</returns>
    public static SimEndpoint Pty(string? linkPath = null) => new PtySimEndpoint(linkPath);
}

/// <summary>A TCP endpoint.</summary>
/// <param name="EndPoint">The local endpoint.</param>
public sealed record TcpSimEndpoint(IPEndPoint EndPoint) : SimEndpoint;

/// <summary>A serial port.</summary>
/// <param name="Options">The port settings.</param>
public sealed record SerialSimEndpoint(SerialTransportOptions Options) : SimEndpoint;

/// <summary>A pseudo-terminal.</summary>
/// <param name="LinkPath">A stable symbolic link to the slave, or <see langword="null"/>.</param>
public sealed record PtySimEndpoint(string? LinkPath) : SimEndpoint;
