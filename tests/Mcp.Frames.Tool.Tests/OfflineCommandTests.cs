using Mcp.Frames.Tool.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary><c>decode</c> and <c>encode</c>: no device; the golden vectors of PROTOCOL.md §1.2 and exact failures.</summary>
public sealed class OfflineCommandTests
{
    [TestCase(0x02, "", "5A 02 00 00 58")]
    [TestCase(0x02, "07", "5A 02 01 00 07 5E")]
    [TestCase(0x82, "07 00", "5A 82 02 00 07 00 DD")]
    public async Task Encode_prints_the_golden_vectors(int cmd, string payload, string frame)
    {
        ToolResult result = await McpTool.RunAsync("encode", "--cmd", $"0x{cmd:X2}", "--payload", payload);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Lines.Single(), Is.EqualTo(frame));
    }

    [Test]
    public async Task Encode_json_and_the_300_byte_vector()
    {
        string payload = Convert.ToHexString([.. Enumerable.Range(0, 300).Select(i => (byte)i)]);
        ToolResult result = await McpTool.RunAsync("encode", "--cmd", "0x7E", "--payload", payload, "--json");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var frame = result.Json.Single();
        Assert.That(((string?)frame["cmdName"], (int)frame["len"]!, (int)frame["check"]!), Is.EqualTo(("0x7E", 300, 0x09)));
        Assert.That((string?)frame["frame"], Does.StartWith("5A7E2C01000102").And.EndWith("2B09"));
    }

    [Test]
    public async Task Decode_prints_each_field_and_the_mcp1_decoding()
    {
        ToolResult result = await McpTool.RunAsync("decode", "5A 82 02 00 07 00 DD");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Lines, Is.EqualTo(new[]
        {
            "frame at offset 0 (7 bytes): 5A 82 02 00 07 00 DD",
            "cmd      0x82 PING-RESP (response)",
            "len      2",
            "payload  07 00",
            "check    0xDD OK",
            "MCP/1    seq 7, status OK, data (empty)",
            "1 frame OK; receiver counters: skipped 0 bytes, oversize 0, bad checksum 0, truncated 0",
        }));
    }

    [Test]
    public async Task Decode_prints_a_status_message_with_control_characters_escaped_and_json_holds_it_exactly()
    {
        const string Message = "busy\n12:00:00 crit forged\u001b[2J";
        byte[] answer = Framing.FrameWriter.ToArray(0x82, [7, 0x06, .. System.Text.Encoding.UTF8.GetBytes(Message)]);

        ToolResult text = await McpTool.RunAsync("decode", Convert.ToHexString(answer));
        ToolResult json = await McpTool.RunAsync("decode", Convert.ToHexString(answer), "--json");

        Assert.That(text.ExitCode, Is.Zero, text.ToString());
        Assert.That(json.ExitCode, Is.Zero, json.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(text.Lines, Has.Member("MCP/1    seq 7, status BUSY, message busy\\u000a12:00:00 crit forged\\u001b[2J"));
            Assert.That(text.Out.Where(c => c != '\n' && char.IsControl(c)), Is.Empty, text.Out);
            Assert.That((string?)json.JsonOfType("frame").Single()["mcp1"]!["message"], Is.EqualTo(Message));
        });
    }

    [Test]
    public async Task Decode_reads_several_frames_and_mcp1_bodies()
    {
        // A READ request (seq 5, slot 3, register 1, count 2) and its answer [42, -1], written by the library.
        byte[] request = Framing.FrameWriter.ToArray(0x10, [5, 3, 1, 0, 2]);
        byte[] answer = Framing.FrameWriter.ToArray(0x90, [5, 0, 42, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        ToolResult result = await McpTool.RunAsync("decode", Convert.ToHexString(request) + Convert.ToHexString(answer), "--json");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var frames = result.JsonOfType("frame");
        Assert.That(frames.Select(f => f["mcp1"]!.ToJsonString()), Is.EqualTo(new[]
        {
            """{"seq":5,"slot":3,"register":1,"count":2}""",
            """{"seq":5,"status":"OK","values":[42,-1]}""",
        }));
        Assert.That((int)frames[1]["offset"]!, Is.EqualTo(request.Length));
        Assert.That((bool)result.JsonOfType("summary").Single()["ok"]!, Is.True);
    }

    [Test]
    public async Task Decode_names_a_bad_checksum_exactly_and_exits_1()
    {
        ToolResult result = await McpTool.RunAsync("decode", "5A0201000750");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        Assert.That(result.Lines[0], Is.EqualTo("bad checksum: the frame at offset 0 (cmd 0x02, len 1) has check byte 0x50 at offset 5; the XOR of the 5 bytes before it is 0x5E"));
        Assert.That(result.Lines[^1], Is.EqualTo("0 frames OK; receiver counters: skipped 5 bytes, oversize 0, bad checksum 1, truncated 0"));
    }

    [Test]
    public async Task Decode_recovers_a_frame_after_garbage_and_reports_truncation()
    {
        ToolResult result = await McpTool.RunAsync("decode", "--json", "00 11", "5A 02 00 00 58", "5A 10 04 00 01");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        var kinds = result.Json.Select(o => (string?)o["kind"] ?? (string?)o["type"]).ToArray();
        Assert.That(kinds, Is.EqualTo(new[] { "skipped", "frame", "truncated", "skipped", "summary" }));
        Assert.That((string?)result.JsonOfType("frame")[0]["mcp1"]!["error"], Does.Contain("no seq"));
        Assert.That((string?)result.Json[2]["message"], Is.EqualTo("truncated: the frame at offset 7 (cmd 0x10, len 4) needs 9 bytes, only 5 are there"));
    }

    [Test]
    public async Task Decode_with_a_payload_limit_reports_oversize()
    {
        ToolResult result = await McpTool.RunAsync("decode", "5A 02 05 00 00 00 00 00 00 5F", "--max-payload", "4");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.DeviceError), result.ToString());
        Assert.That(result.Lines[0], Is.EqualTo("oversize: the candidate at offset 0 (cmd 0x02) has len 5 (bytes 2-3), over the payload limit of 4"));
    }

    [TestCase("5A 0G", "bad hex at position 5: 'G' is not a hex digit")]
    [TestCase("5A0", "bad hex at position 3: the digit '0' stands alone; every byte takes two hex digits")]
    [TestCase("5A 0x", "bad hex at position 6: '0x' is not followed by hex digits")]
    public async Task Bad_hex_exits_2_and_names_the_position(string hex, string message)
    {
        ToolResult result = await McpTool.RunAsync("decode", hex);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.Contain(message));

        ToolResult encode = await McpTool.RunAsync("encode", "--cmd", "2", "--payload", hex);
        Assert.That(encode.ExitCode, Is.EqualTo(ExitCodes.Usage), encode.ToString());
        Assert.That(encode.Err, Does.StartWith($"mcp: --payload: {message}"));
    }
}
