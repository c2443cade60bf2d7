using System.IO.Ports;
using Mcp.Frames.Serial;
using Mcp.Frames.Serial.Native;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// The native backend's termios flags and its check of what a driver kept, without a device: drivers of real UARTs
/// refuse settings that a pseudo-terminal cannot show. Expected values are Linux's numbers, written out.
/// </summary>
[TestFixture]
public class TtyLineSettingsTests
{
    [TestCase(50, 1u)]
    [TestCase(134, 4u)]
    [TestCase(9600, 13u)]
    [TestCase(38400, 15u)]
    [TestCase(57600, 0x1001u)]
    [TestCase(115200, 0x1002u)]
    [TestCase(921600, 0x1007u)]
    [TestCase(4000000, 0x100Fu)]
    public void A_standard_rate_has_its_termios_speed_constant(int baud, uint expected)
    {
        Assert.That(Termios.TryGetSpeed(baud, out uint speed), Is.True);
        Assert.That(speed, Is.EqualTo(expected));
        Assert.That(Termios.BaudRateOf(speed), Is.EqualTo(baud));
    }

    [TestCase(0)]
    [TestCase(250000)]
    [TestCase(31250)]
    [TestCase(4000001)]
    public void Other_rates_have_none(int baud) => Assert.That(Termios.TryGetSpeed(baud, out _), Is.False);

    [TestCase(5, Parity.None, 0x00u)]
    [TestCase(6, Parity.Odd, 0x10u | 0x100 | 0x200)]
    [TestCase(7, Parity.Even, 0x20u | 0x100)]
    [TestCase(8, Parity.Mark, 0x30u | 0x100 | 0x200 | 0x40000000)]
    [TestCase(8, Parity.Space, 0x30u | 0x100 | 0x40000000)]
    public void Data_bits_and_parity_set_csize_parenb_parodd_and_cmspar(int dataBits, Parity parity, uint expected)
    {
        Termios t = Asked(new SerialTransportOptions { PortName = "x", DataBits = dataBits, Parity = parity });
        Assert.That(t.CFlag & (0x30u | 0x100 | 0x200 | 0x40000000), Is.EqualTo(expected));
    }

    [Test]
    public void Settings_kept_as_asked_are_not_refused()
    {
        Termios asked = Asked(new SerialTransportOptions { PortName = "x", DataBits = 7, Parity = Parity.Even, StopBits = StopBits.Two, Handshake = Handshake.RequestToSendXOnXOff });
        Assert.That(TtyLineSettings.Refused(asked, 13, asked, 13, 13, pseudoTerminal: false), Is.Null);
    }

    [Test]
    public void A_speed_the_driver_did_not_take_is_named_with_the_one_it_kept()
    {
        Termios asked = Asked(new SerialTransportOptions { PortName = "x" });
        Assert.That(TtyLineSettings.Refused(asked, 0x1002, asked, 13, 13, pseudoTerminal: false), Is.EqualTo("115200 baud (the port has 9600)"));
        Assert.That(TtyLineSettings.Refused(asked, 0x1002, asked, 0x1002, 13, pseudoTerminal: true), Is.EqualTo("115200 baud (the port has 9600)"), "a pty keeps speeds, so a changed one counts there too");
    }

    [Test]
    public void Data_bits_parity_stop_bits_and_flow_control_the_driver_dropped_are_each_named()
    {
        Termios asked = Asked(new SerialTransportOptions { PortName = "x", DataBits = 7, Parity = Parity.Mark, StopBits = StopBits.Two, Handshake = Handshake.RequestToSendXOnXOff });
        Termios kept = Asked(new SerialTransportOptions { PortName = "x" }); // what a driver that supports none of it leaves: 8N1, no flow control

        Assert.That(
            TtyLineSettings.Refused(asked, 13, kept, 13, 13, pseudoTerminal: false),
            Is.EqualTo("7 data bits (the port has 8), mark parity (the port has no parity), two stop bits (the port has one), RTS/CTS flow control (the port has none), XON/XOFF flow control (the port has none)"));
    }

    [Test]
    public void On_a_pseudo_terminal_data_bits_and_parity_are_not_compared()
    {
        Termios asked = Asked(new SerialTransportOptions { PortName = "x", DataBits = 7, Parity = Parity.Even, StopBits = StopBits.Two });
        Termios kept = asked;
        kept.CFlag = (kept.CFlag & ~(0x30u | 0x100)) | 0x30; // what the pty driver does: CS8, PARENB off

        Assert.That(TtyLineSettings.Refused(asked, 13, kept, 13, 13, pseudoTerminal: true), Is.Null);
        Assert.That(TtyLineSettings.Refused(asked, 13, kept, 13, 13, pseudoTerminal: false), Is.EqualTo("7 data bits (the port has 8), even parity (the port has no parity)"));
    }

    private static Termios Asked(SerialTransportOptions options)
    {
        Termios t = default;
        TtyLineSettings.Apply(ref t, options);
        return t;
    }
}
