using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>Text from a peer reaches logs and consoles: its control characters are escaped, so it cannot forge log lines.</summary>
public class PeerTextTests : ConnectionTestBase
{
    private const string Forged = "FAKE\n12:00:00 crit injected\u001b[31m";
    private const string Escaped = "FAKE\\u000a12:00:00 crit injected\\u001b[31m";

    [Test]
    public void A_device_id_and_module_name_with_control_characters_are_read_with_them_escaped()
    {
        var hello = new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = 256,
            DeviceId = Forged,
            Firmware = new Version(1, 2, 3),
            BootId = 7,
            Modules = [new ModuleInfo(1, 7, 1, "tab\there"), new ModuleInfo(2, 7, 1, "plain name, ünïcode")],
        };
        byte[] body = new byte[hello.MaxLength];
        int length = hello.WriteTo(body);

        DeviceInfo read = DeviceInfo.Read(body.AsSpan(0, length));

        Assert.Multiple(() =>
        {
            Assert.That(read.DeviceId, Is.EqualTo(Escaped));
            Assert.That(read.Modules[0].Name, Is.EqualTo("tab\\u0009here"));
            Assert.That(read.Modules[1].Name, Is.EqualTo("plain name, ünïcode"), "text without control characters is unchanged");
        });
    }

    [Test]
    public async Task A_status_message_with_control_characters_is_escaped_in_the_exception_message()
    {
        ConnectedPair pair = CreatePair();
        pair.Device.MapRequestHandler(McpCommand.Reset, (request, ct) => request.ReplyStatusAsync(McpStatus.Busy, Forged, ct));
        var client = new McpClient(pair.Gateway);

        var error = Assert.ThrowsAsync<RemoteStatusException>(async () => await client.ResetAsync(options: new RequestOptions { MaxRetries = 0 }).WaitAsync(Bound));

        // Checked by char: a culture-aware string search treats control characters as ignorable, so finds them anywhere.
        Assert.Multiple(() =>
        {
            Assert.That(error!.Message.Contains(Escaped, StringComparison.Ordinal), Is.True, error.Message);
            Assert.That(error.Message.Any(char.IsControl), Is.False, "no control character is left");
        });
    }
}
