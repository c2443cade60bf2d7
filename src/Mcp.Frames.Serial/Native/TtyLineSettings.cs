using System.IO.Ports;
using System.Text;

namespace Mcp.Frames.Serial.Native;

/// <summary>
/// The termios flags for a line's settings, and the comparison of what was asked with what the driver kept. No I/O:
/// <see cref="TtyDevice"/> does the calls.
/// </summary>
internal static class TtyLineSettings
{
    /// <summary>
    /// Sets the flags of <paramref name="termios"/> (already made raw by <c>cfmakeraw</c>) for the options: data bits,
    /// parity, stop bits, flow control, receiver on, modem status lines ignored, a read returns as soon as one byte is
    /// there. The speed is set separately (<c>cfsetispeed</c>/<c>cfsetospeed</c>).
    /// </summary>
    /// <remarks>
    /// As System.IO.Ports does on Linux: one and a half stop bits are sent as two (termios has only CSTOPB), and HUPCL is
    /// off, so closing the port does not drop DTR (many boards reset when it drops). Input parity checking (INPCK) stays
    /// off: a character with a parity error is delivered as received, and the frame checksum rejects the frame.
    /// </remarks>
    public static void Apply(ref Termios termios, SerialTransportOptions options)
    {
        termios.IFlag &= ~(Termios.IgnBrk | Termios.BrkInt | Termios.IgnPar | Termios.ParMrk | Termios.InPck | Termios.IStrip
            | Termios.IXOn | Termios.IXOff | Termios.IXAny);
        termios.LFlag &= ~(Termios.ISig | Termios.ICanon | Termios.Echo | Termios.IExten);
        termios.CFlag &= ~(Termios.CSize | Termios.CStopB | Termios.ParEnb | Termios.ParOdd | Termios.CmsPar | Termios.CrtsCts | Termios.HupCl);
        termios.CFlag |= DataBitsFlag(options.DataBits) | Termios.CRead | Termios.CLocal;
        termios.CFlag |= options.Parity switch
        {
            Parity.Odd => Termios.ParEnb | Termios.ParOdd,
            Parity.Even => Termios.ParEnb,
            Parity.Mark => Termios.ParEnb | Termios.CmsPar | Termios.ParOdd,
            Parity.Space => Termios.ParEnb | Termios.CmsPar,
            _ => 0u,
        };
        if (options.StopBits is StopBits.Two or StopBits.OnePointFive)
        {
            termios.CFlag |= Termios.CStopB;
        }

        if (options.Handshake is Handshake.RequestToSend or Handshake.RequestToSendXOnXOff)
        {
            termios.CFlag |= Termios.CrtsCts;
        }

        if (options.Handshake is Handshake.XOnXOff or Handshake.RequestToSendXOnXOff)
        {
            termios.IFlag |= Termios.IXOn | Termios.IXOff;
        }

        unsafe
        {
            termios.ControlChars[Termios.VMin] = 1;
            termios.ControlChars[Termios.VTime] = 0;
            termios.ControlChars[Termios.VStart] = Termios.XOn;
            termios.ControlChars[Termios.VStop] = Termios.XOff;
        }
    }

    /// <summary>
    /// What the driver did not keep of the settings asked for, as text for a message (such as
    /// <c>230400 baud (the port has 9600), even parity (the port has no parity)</c>), or <see langword="null"/> if it kept
    /// them all.
    /// </summary>
    /// <param name="asked">The settings passed to <c>tcsetattr</c>.</param>
    /// <param name="askedSpeed">The speed constant asked for.</param>
    /// <param name="kept">The settings read back with <c>tcgetattr</c>.</param>
    /// <param name="keptInputSpeed">The input speed read back.</param>
    /// <param name="keptOutputSpeed">The output speed read back.</param>
    /// <param name="pseudoTerminal">
    /// The port is a pseudo-terminal: its kernel driver always keeps 8 data bits and no parity, which mean nothing
    /// without a line, so those two are not compared.
    /// </param>
    public static string? Refused(in Termios asked, uint askedSpeed, in Termios kept, uint keptInputSpeed, uint keptOutputSpeed, bool pseudoTerminal)
    {
        var refused = new StringBuilder();
        if (keptOutputSpeed != askedSpeed || keptInputSpeed != askedSpeed)
        {
            uint other = keptOutputSpeed != askedSpeed ? keptOutputSpeed : keptInputSpeed;
            Add(refused, $"{Termios.BaudRateOf(askedSpeed)} baud (the port has {DescribeSpeed(other)})");
        }

        if (!pseudoTerminal)
        {
            if ((kept.CFlag & Termios.CSize) != (asked.CFlag & Termios.CSize))
            {
                Add(refused, $"{DataBits(asked.CFlag)} data bits (the port has {DataBits(kept.CFlag)})");
            }

            if (ParityOf(kept.CFlag) != ParityOf(asked.CFlag))
            {
                Add(refused, $"{ParityOf(asked.CFlag)} (the port has {ParityOf(kept.CFlag)})");
            }
        }

        if ((kept.CFlag & Termios.CStopB) != (asked.CFlag & Termios.CStopB))
        {
            Add(refused, (asked.CFlag & Termios.CStopB) != 0 ? "two stop bits (the port has one)" : "one stop bit (the port has two)");
        }

        if ((kept.CFlag & Termios.CrtsCts) != (asked.CFlag & Termios.CrtsCts))
        {
            Add(refused, (asked.CFlag & Termios.CrtsCts) != 0 ? "RTS/CTS flow control (the port has none)" : "no RTS/CTS flow control (the port keeps it on)");
        }

        const uint XOnXOff = Termios.IXOn | Termios.IXOff;
        if ((kept.IFlag & XOnXOff) != (asked.IFlag & XOnXOff))
        {
            Add(refused, (asked.IFlag & XOnXOff) != 0 ? "XON/XOFF flow control (the port has none)" : "no XON/XOFF flow control (the port keeps it on)");
        }

        return refused.Length == 0 ? null : refused.ToString();
    }

    /// <summary>Data bits and parity in the usual short form, for messages: 8N1, 7E2.</summary>
    public static string ShortForm(SerialTransportOptions options) =>
        $"{options.DataBits}{options.Parity switch { Parity.Odd => 'O', Parity.Even => 'E', Parity.Mark => 'M', Parity.Space => 'S', _ => 'N' }}{options.StopBits switch { StopBits.Two => "2", StopBits.OnePointFive => "1.5", _ => "1" }}";

    private static uint DataBitsFlag(int dataBits) => dataBits switch
    {
        5 => Termios.CS5,
        6 => Termios.CS6,
        7 => Termios.CS7,
        _ => Termios.CS8,
    };

    private static int DataBits(uint cflag) => (int)((cflag & Termios.CSize) >> 4) + 5;

    private static string ParityOf(uint cflag) => (cflag & Termios.ParEnb) == 0
        ? "no parity"
        : (cflag & Termios.CmsPar) != 0
            ? ((cflag & Termios.ParOdd) != 0 ? "mark parity" : "space parity")
            : ((cflag & Termios.ParOdd) != 0 ? "odd parity" : "even parity");

    private static string DescribeSpeed(uint speed)
    {
        int baud = Termios.BaudRateOf(speed);
        return baud >= 0 ? $"{baud}" : $"speed code 0x{speed:X}";
    }

    private static void Add(StringBuilder text, string item)
    {
        if (text.Length > 0)
        {
            text.Append(", ");
        }

        text.Append(item);
    }
}
