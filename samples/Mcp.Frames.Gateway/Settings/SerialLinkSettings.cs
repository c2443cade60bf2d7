using System.IO.Ports;
using Mcp.Frames.Serial;

namespace Mcp.Frames.Gateway.Settings;

/// <summary>A serial link (RS-232, USB serial).</summary>
public sealed class SerialLinkSettings
{
    /// <summary>The port, such as <c>/dev/ttyUSB0</c> or <c>/dev/serial/by-id/usb-FTDI_…</c>.</summary>
    public string Port { get; set; } = "";

    /// <summary>The baud rate.</summary>
    public int BaudRate { get; set; } = 115200;

    /// <summary><c>None</c>, <c>Odd</c>, <c>Even</c>, <c>Mark</c> or <c>Space</c>.</summary>
    public string Parity { get; set; } = "None";

    /// <summary>5 to 8.</summary>
    public int DataBits { get; set; } = 8;

    /// <summary><c>One</c>, <c>OnePointFive</c> or <c>Two</c>.</summary>
    public string StopBits { get; set; } = "One";

    /// <summary><c>None</c>, <c>XOnXOff</c>, <c>RequestToSend</c> or <c>RequestToSendXOnXOff</c>.</summary>
    public string Handshake { get; set; } = "None";

    /// <summary>
    /// How the port is driven: <c>Auto</c> (the native tty code on Linux at a standard baud rate, else
    /// System.IO.Ports), <c>NativeTty</c> or <c>SystemIoPorts</c>.
    /// </summary>
    public string Backend { get; set; } = nameof(SerialBackend.Auto);

    /// <summary>The transport's options. The enumerated settings must have been checked (they are parsed here).</summary>
    internal SerialTransportOptions ToOptions() => new()
    {
        PortName = Port,
        BaudRate = BaudRate,
        Parity = Enum.Parse<Parity>(Parity, ignoreCase: true),
        DataBits = DataBits,
        StopBits = Enum.Parse<StopBits>(StopBits, ignoreCase: true),
        Handshake = Enum.Parse<Handshake>(Handshake, ignoreCase: true),
        Backend = Enum.Parse<SerialBackend>(Backend, ignoreCase: true),
    };
}
