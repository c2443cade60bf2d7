using Mcp.Frames.Serial;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

[TestFixture]
public class SerialPortsTests : TransportTest
{
    private string _root = null!;

    [SetUp]
    public void MakeRoot()
    {
        _root = Path.Combine(Path.GetTempPath(), "mcp-ports-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(_root, "dev", "serial", "by-id"));
    }

    [TearDown]
    public void RemoveRoot() => Directory.Delete(_root, recursive: true);

    [Test]
    [Platform(Exclude = "Win", Reason = "symbolic links need privileges on Windows")]
    public void By_id_links_are_resolved_and_merged_with_the_os_port_names()
    {
        string dev = Path.Combine(_root, "dev");
        string byId = Path.Combine(dev, "serial", "by-id");
        foreach (string device in new[] { "ttyUSB0", "ttyUSB1", "ttyACM0", "ttyS0" })
        {
            File.WriteAllText(Path.Combine(dev, device), string.Empty);
        }

        // udev makes relative links, like ../../ttyUSB0
        File.CreateSymbolicLink(Path.Combine(byId, "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"), "../../ttyUSB0");
        File.CreateSymbolicLink(Path.Combine(byId, "usb-Arduino_Uno_1234-if00"), "../../ttyACM0");
        File.CreateSymbolicLink(Path.Combine(byId, "usb-gone-if00"), "../../ttyUSB7"); // dangling: just unplugged

        IReadOnlyList<SerialPortInfo> ports = SerialPorts.List(
            [Path.Combine(dev, "ttyS0"), Path.Combine(dev, "ttyUSB0"), Path.Combine(dev, "ttyUSB1")],
            byId);

        Assert.That(ports.Select(p => p.ToString()), Is.EqualTo(new[]
        {
            $"{dev}/ttyACM0 ({byId}/usb-Arduino_Uno_1234-if00)",
            $"{dev}/ttyS0",
            $"{dev}/ttyUSB0 ({byId}/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0)",
            $"{dev}/ttyUSB1",
        }));
        Assert.That(ports[0].PreferredName, Is.EqualTo($"{byId}/usb-Arduino_Uno_1234-if00"));
        Assert.That(ports[1].PreferredName, Is.EqualTo($"{dev}/ttyS0"));
        Assert.That(ports[1].StableName, Is.Null);
    }

    [Test]
    public void A_missing_by_id_directory_lists_the_os_names_only()
    {
        IReadOnlyList<SerialPortInfo> ports = SerialPorts.List(["COM3", "COM1"], Path.Combine(_root, "nothing-here"));

        Assert.That(ports.Select(p => p.PortName), Is.EqualTo(new[] { "COM1", "COM3" }));
        Assert.That(ports.All(p => p.StableName is null), Is.True);
    }

    [Test]
    public void Listing_this_machine_does_not_throw()
    {
        IReadOnlyList<SerialPortInfo> ports = SerialPorts.List();
        Assert.That(ports, Is.Not.Null);
        TestContext.Out.WriteLine($"{ports.Count} serial port(s): {string.Join(", ", ports)}");
    }
}
