using System.Globalization;
using System.Net;

namespace Mcp.Frames.FirmwareSim.Hosting;

/// <summary>An endpoint a running host serves, with the address it actually got.</summary>
/// <param name="Kind"><c>tcp</c>, <c>serial</c> or <c>pty</c>.</param>
/// <param name="Address">The bound address (<c>127.0.0.1:5020</c>), port path, or pty slave path.</param>
public sealed record SimEndpointInfo(string Kind, string Address)
{
    /// <summary>The TCP endpoint, for <c>tcp</c>.</summary>
    public IPEndPoint? TcpEndPoint { get; init; }

    /// <summary>The stable link to the pty slave, for <c>pty</c> with a link.</summary>
    public string? LinkPath { get; init; }

    /// <summary>The baud rate, for <c>serial</c>.</summary>
    public int? BaudRate { get; init; }

    /// <summary>
    /// The line the command line prints when the endpoint is ready: <c>listening tcp 127.0.0.1:5020</c>,
    /// <c>listening pty /dev/pts/3 link /tmp/mcp-sim-tty</c>, <c>listening serial /dev/ttyUSB0 baud 115200</c>.
    /// </summary>
    public string ReadyLine => Kind switch
    {
        "pty" when LinkPath is not null => $"listening pty {Address} link {LinkPath}",
        "serial" when BaudRate is { } baud => string.Create(CultureInfo.InvariantCulture, $"listening serial {Address} baud {baud}"),
        _ => $"listening {Kind} {Address}",
    };
}
