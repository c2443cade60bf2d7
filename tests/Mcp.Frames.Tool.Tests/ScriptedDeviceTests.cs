using System.Net;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tool.Tests.Support;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary>
/// Behaviour the simulator cannot be made to show deterministically, against a device scripted with the library's
/// device side: lost events (eventSeq gaps), a PING echo that differs.
/// </summary>
public sealed class ScriptedDeviceTests
{
    [Test]
    public async Task Subscribe_reports_lost_events()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0));
        Task<ToolResult> run = McpTool.RunAsync("subscribe", "--tcp", $"127.0.0.1:{listener.LocalEndPoint.Port}", "--slot", "1", "--register", "0", "--events", "3");
        await using FrameConnection device = new(await listener.AcceptAsync().Within());
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.MapRequestHandler(McpCommand.Subscribe, async (request, ct) =>
        {
            await request.ReplyOkAsync(InlinePayload.FromByte(5), ct);
            subscribed.TrySetResult();
        });
        device.MapRequestHandler(McpCommand.Unsubscribe, (request, ct) => request.ReplyOkAsync(ct));
        device.Start();
        await subscribed.Task.Within();
        foreach (ushort seq in new ushort[] { 0, 1, 4 })
        {
            await device.SendOneWayAsync(McpCommand.Event, new EventPayload(5, seq, 1000u + seq, new[] { seq * 10 })).AsTask().Within();
        }

        ToolResult result = await run;
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Lines.Skip(1), Is.EqualTo(new[]
        {
            "event 0 at uptime 1000 ms: 0",
            "event 1 at uptime 1001 ms: 10",
            "lost 2 events before eventSeq 4",
            "event 4 at uptime 1004 ms: 40",
            "--- 3 events received, 2 lost (eventSeq gaps), 0 dropped by this tool's queue",
        }));
    }

    [Test]
    public async Task Ping_with_a_wrong_echo_is_an_error()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0));
        Task<ToolResult> run = McpTool.RunAsync("ping", "--tcp", $"127.0.0.1:{listener.LocalEndPoint.Port}", "--count", "2", "--interval", "0", "--json");
        await using FrameConnection device = new(await listener.AcceptAsync().Within());
        int pings = 0;
        device.MapRequestHandler(McpCommand.Ping, (request, ct) =>
        {
            byte[] echo = request.Body.ToArray();
            if (Interlocked.Increment(ref pings) == 2)
            {
                echo[3] ^= 0x01; // the second echo differs in byte 3
            }

            return request.ReplyOkAsync(new BytesPayload(echo), ct);
        });
        device.Start();

        ToolResult result = await run;
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.LinkFailure), result.ToString());
        var second = result.JsonOfType("ping")[1];
        Assert.That(((bool)second["ok"]!, (string?)second["error"]), Is.EqualTo((false, "mismatch")));
        Assert.That((string?)second["message"], Does.StartWith("the echo differs at byte 3: sent 0x00, got 0x01"));
        Assert.That((int)result.JsonOfType("summary").Single()["failed"]!, Is.EqualTo(1));
        Assert.That(result.Err, Does.Contain("1 of 2 PINGs failed"));
    }
}
