using System.IO.Ports;
using Mcp.Frames.Serial;

namespace Mcp.Frames.Tool.Linking;

/// <summary>Where the device is and how to talk to it, from the command line.</summary>
internal sealed record LinkSettings
{
    /// <summary>The TCP host, or <see langword="null"/> for a serial link.</summary>
    public string? Host { get; init; }

    public int Port { get; init; }

    public string? SerialPath { get; init; }

    public int BaudRate { get; init; } = 115200;

    public Parity Parity { get; init; } = Parity.None;

    public StopBits StopBits { get; init; } = StopBits.One;

    public int DataBits { get; init; } = 8;

    /// <summary>How the serial port is driven.</summary>
    public SerialBackend Backend { get; init; } = SerialBackend.Auto;

    public bool Tls { get; init; }

    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public string? TlsHost { get; init; }

    /// <summary>The request timeout, also the connect timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(LinkOptions.DefaultTimeoutMs);
}
