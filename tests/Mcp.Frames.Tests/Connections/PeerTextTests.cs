using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// Text from a peer is kept exactly as it was sent, and escaped where it is shown: its control characters cannot forge
/// log lines or reach a terminal.
/// </summary>
public class PeerTextTests : ConnectionTestBase
{
    internal const string Forged = "FAKE\n12:00:00 crit injected\u001b[31m";
    internal const string Escaped = "FAKE\\u000a12:00:00 crit injected\\u001b[31m";

    [Test]
    public void A_device_id_and_module_names_are_read_exactly_as_sent()
    {
        var hello = new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = 256,
            DeviceId = Forged,
            Firmware = new Version(1, 2, 3),
            BootId = 7,
            Modules = [new ModuleInfo(1, 7, 1, "tab\there"), new ModuleInfo(2, 7, 1, "tab\\u0009here")],
        };
        byte[] body = new byte[hello.MaxLength];
        int length = hello.WriteTo(body);

        DeviceInfo read = DeviceInfo.Read(body.AsSpan(0, length));

        // Two names that look alike escaped the naive way stay two names, and show as two.
        Assert.Multiple(() =>
        {
            Assert.That(read.DeviceId, Is.EqualTo(Forged));
            Assert.That(read.Modules.Select(m => m.Name), Is.EqualTo(new[] { "tab\there", "tab\\u0009here" }));
            Assert.That(read.Modules.Select(m => PeerText.Escape(m.Name)), Is.EqualTo(new[] { "tab\\u0009here", "tab\\\\u0009here" }));
        });
    }

    [TestCase("line\nbreak", "line\\u000abreak")]
    [TestCase("bell\a, escape \u001b[2J, delete \u007f, C1 \u009b", "bell\\u0007, escape \\u001b[2J, delete \\u007f, C1 \\u009b")]
    [TestCase("admin\u202Etxt.exe", "admin\\u202etxt.exe")] // a bidirectional override: reads backwards on screen
    [TestCase("zero\u200Bwidth", "zero\\u200bwidth")]
    [TestCase("line\u2028separator\u2029paragraph", "line\\u2028separator\\u2029paragraph")]
    [TestCase("tag\U000E0041\U000E007F", "tag\\U000e0041\\U000e007f")] // invisible tag characters, above U+FFFF
    [TestCase("tab\\u0009here", "tab\\\\u0009here")] // reads as an escape: the backslash is doubled
    [TestCase("back\\\\slash, \\U, \\\u0007", "back\\\\\\slash, \\\\U, \\\\\\u0007")]
    public void Escape_writes_what_would_change_the_display_as_code_points(string text, string expected)
    {
        Assert.That(PeerText.Escape(text), Is.EqualTo(expected));
    }

    [Test]
    public void Escape_writes_a_lone_surrogate_as_its_code()
    {
        // Built in code: a test case's attribute would store the lone half replaced by U+FFFD.
        string text = "lone " + (char)0xD800 + " high, lone " + (char)0xDC01 + " low";

        Assert.That(PeerText.Escape(text), Is.EqualTo("lone \\ud800 high, lone \\udc01 low"));
    }

    [Test]
    public void Escape_returns_safe_text_as_it_is()
    {
        const string Plain = "plain name, ünïcode, 中文, emoji \U0001F600 and \\\U0001F600, C:\\dir\\file, trailing\\";

        Assert.Multiple(() =>
        {
            Assert.That(PeerText.Escape(Plain), Is.SameAs(Plain), "no copy");
            Assert.That(PeerText.Escape(null), Is.Null);
        });
    }

    [Test]
    public async Task A_status_message_is_escaped_in_the_exception_message_and_kept_as_sent_in_RemoteMessage()
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
            Assert.That(error.RemoteMessage, Is.EqualTo(Forged));
        });
    }
}
