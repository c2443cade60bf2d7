using System.IO.Ports;
using Mcp.Frames.Serial;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

[TestFixture]
public class SerialTransportOptionsTests : TransportTest
{
    private static IEnumerable<TestCaseData> BadOptions()
    {
        yield return Case("PortName", o => o.PortName = " ");
        yield return Case("BaudRate", o => o.BaudRate = 0);
        yield return Case("DataBits", o => o.DataBits = 9);
        yield return Case("DataBits", o => o.DataBits = 4);
        yield return Case("Parity", o => o.Parity = (Parity)42);
        yield return Case("StopBits", o => o.StopBits = StopBits.None);
        yield return Case("Handshake", o => o.Handshake = (Handshake)9);
        yield return Case("RtsEnable", o => { o.RtsEnable = true; o.Handshake = Handshake.RequestToSend; });
        yield return Case("ReadTimeout", o => o.ReadTimeout = TimeSpan.Zero);
        yield return Case("WriteTimeout", o => o.WriteTimeout = Timeout.InfiniteTimeSpan);
        yield return Case("WriteTimeout", o => o.WriteTimeout = TimeSpan.FromMilliseconds(-5));
        yield return Case("DisposeTimeout", o => o.DisposeTimeout = TimeSpan.Zero);
        yield return Case("StallTimeout", o => o.StallTimeout = TimeSpan.Zero);
        yield return Case("Backend", o => o.Backend = (SerialBackend)7);
        yield return Case("Backend", o => { o.Backend = SerialBackend.NativeTty; o.BaudRate = 250000; });

        static TestCaseData Case(string option, Action<SerialTransportOptions> spoil) => new TestCaseData(option, spoil).SetArgDisplayNames(option);
    }

    [TestCaseSource(nameof(BadOptions))]
    public void Validate_names_the_bad_option(string option, Action<SerialTransportOptions> spoil)
    {
        var options = new SerialTransportOptions { PortName = "/dev/ttyUSB0" };
        spoil(options);

        var error = Assert.Throws(Is.InstanceOf<ArgumentException>(), options.Validate) as ArgumentException;
        Assert.That(error!.ParamName, Is.EqualTo(option));
        Assert.That(error.Message, Does.Contain($"SerialTransportOptions.{option}"));
    }

    [TestCaseSource(nameof(BadOptions))]
    public void The_connector_refuses_bad_options_at_creation(string option, Action<SerialTransportOptions> spoil)
    {
        var options = new SerialTransportOptions { PortName = "/dev/ttyUSB0" };
        spoil(options);

        var error = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => _ = new SerialTransportConnector(options)) as ArgumentException;
        Assert.That(error!.ParamName, Is.EqualTo(option));
    }

    [TestCase(SerialBackend.SystemIoPorts, 12345)] // System.IO.Ports reports a missing path as access denied
    [TestCase(SerialBackend.Auto, 115200)]
    public void Opening_a_port_that_does_not_exist_says_so(SerialBackend backend, int baud)
    {
        string missing = $"/dev/mcp-no-such-port-{Guid.NewGuid():N}";
        var connector = new SerialTransportConnector(new SerialTransportOptions { PortName = missing, BaudRate = baud, Backend = backend });

        var error = Assert.ThrowsAsync<Mcp.Frames.Transports.TransportException>(async () => await connector.ConnectAsync());

        Assert.That(error!.Message, Does.Contain("no such port").And.Contain(missing).And.Not.Contain("dialout"));
    }

    [Test]
    public void Defaults_are_valid_once_a_port_is_named()
    {
        var options = new SerialTransportOptions { PortName = "/dev/ttyUSB0" };
        Assert.DoesNotThrow(options.Validate);
        Assert.That(options.BaudRate, Is.EqualTo(115200));
        Assert.That(options.ReadTimeout, Is.EqualTo(Timeout.InfiniteTimeSpan));
        Assert.That(options.WriteTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
    }

    [TestCase(115200, 8, Parity.None, StopBits.One, 50.0, TestName = "115200 8N1: 3.5 ms of characters, the 50 ms floor wins")]
    [TestCase(9600, 8, Parity.None, StopBits.One, 50.0, TestName = "9600 8N1: 41.7 ms, still the floor")]
    [TestCase(4800, 8, Parity.None, StopBits.One, 83.333, TestName = "4800 8N1: 40 x 10 bits")]
    [TestCase(2400, 8, Parity.Even, StopBits.Two, 200.0, TestName = "2400 8E2: 40 x 12 bits")]
    [TestCase(1200, 7, Parity.Odd, StopBits.OnePointFive, 350.0, TestName = "1200 7O1.5: 40 x 10.5 bits")]
    public void Stall_timeout_is_40_character_times_or_50_ms(int baud, int dataBits, Parity parity, StopBits stopBits, double expectedMs)
    {
        var options = new SerialTransportOptions { PortName = "x", BaudRate = baud, DataBits = dataBits, Parity = parity, StopBits = stopBits };
        Assert.That(options.EffectiveStallTimeout.TotalMilliseconds, Is.EqualTo(expectedMs).Within(0.01));
    }

    [Test]
    public void Stall_timeout_override_wins()
    {
        var options = new SerialTransportOptions { PortName = "x", BaudRate = 300, StallTimeout = TimeSpan.FromMilliseconds(7) };
        Assert.That(options.EffectiveStallTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(7)));
    }

    [Test]
    public void The_connector_keeps_its_own_copy()
    {
        var options = new SerialTransportOptions { PortName = "/dev/ttyUSB0", Backend = SerialBackend.SystemIoPorts };
        var connector = new SerialTransportConnector(options);
        options.BaudRate = 0;
        options.Backend = SerialBackend.NativeTty;

        Assert.That(connector.Options.BaudRate, Is.EqualTo(115200));
        Assert.That(connector.Options.Backend, Is.EqualTo(SerialBackend.SystemIoPorts));
        Assert.That(connector.Name, Is.EqualTo("serial /dev/ttyUSB0"));
    }

    [Test]
    public void A_native_backend_at_a_non_standard_rate_is_refused_naming_the_option_and_the_rate()
    {
        var options = new SerialTransportOptions { PortName = "/dev/ttyUSB0", Backend = SerialBackend.NativeTty, BaudRate = 250000 };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.That(error!.ParamName, Is.EqualTo("Backend"));
        Assert.That(error.Message, Does.StartWith(OperatingSystem.IsLinux()
            ? "SerialTransportOptions.Backend NativeTty cannot run at BaudRate 250000: termios has a speed constant only for the standard rates (50, 75, 110,"
            : "SerialTransportOptions.Backend NativeTty needs Linux"));
    }

    [TestCase(SerialBackend.Auto, 115200, true, TestName = "Auto at 115200: native on Linux")]
    [TestCase(SerialBackend.Auto, 4000000, true, TestName = "Auto at 4000000: native on Linux")]
    [TestCase(SerialBackend.Auto, 250000, false, TestName = "Auto at 250000: System.IO.Ports (no B250000)")]
    [TestCase(SerialBackend.SystemIoPorts, 115200, false, TestName = "SystemIoPorts stays")]
    [TestCase(SerialBackend.NativeTty, 9600, true, TestName = "NativeTty stays")]
    public void The_effective_backend_follows_the_platform_and_the_rate(SerialBackend backend, int baud, bool nativeOnLinux)
    {
        var options = new SerialTransportOptions { PortName = "/dev/ttyUSB0", Backend = backend, BaudRate = baud };
        SerialBackend expected = nativeOnLinux && OperatingSystem.IsLinux() ? SerialBackend.NativeTty : SerialBackend.SystemIoPorts;
        Assert.That(options.EffectiveBackend, Is.EqualTo(expected));
        Assert.That(new SerialTransportOptions().Backend, Is.EqualTo(SerialBackend.Auto), "the default");
    }
}
