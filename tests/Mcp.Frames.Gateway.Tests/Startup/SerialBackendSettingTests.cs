using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Gateway.Settings;
using Mcp.Frames.Gateway.Tests.Support;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Gateway.Tests.Startup;

/// <summary>A serial link's <c>Backend</c> setting decides which code drives the port the gateway opens.</summary>
public sealed class SerialBackendSettingTests : GatewayTestBase
{
    [TestCase("SystemIoPorts", SerialBackend.SystemIoPorts)]
    [TestCase("nativetty", SerialBackend.NativeTty)]
    [TestCase("Auto", SerialBackend.NativeTty)] // Linux at 115200 baud
    public async Task The_backend_setting_picks_the_code_that_opens_the_port(string setting, SerialBackend expected)
    {
        SimHost sim = Track(await DeviceRig.StartSimAsync(LinkKind.Pty, Logs));
        var link = new LinkSettings { Serial = new SerialLinkSettings { Port = DeviceRig.PtyPath(sim), Backend = setting } };

        ITransport transport = Track(await LinkConnectorFactory.Create(link).ConnectAsync().Within());

        Assert.That(transport, Is.TypeOf<SerialTransport>());
        Assert.That(((SerialTransport)transport).Backend, Is.EqualTo(expected));
    }
}
