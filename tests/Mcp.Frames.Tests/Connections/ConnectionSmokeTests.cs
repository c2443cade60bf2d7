using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

public class ConnectionSmokeTests
{
    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    [Test]
    public async Task Ping_read_and_unknown_command_round_trip()
    {
        var a = new Pipe();
        var b = new Pipe();
        await using var gateway = new FrameConnection(new Duplex(a.Reader, b.Writer), options: new FrameConnectionOptions { Name = "gw" });
        await using var device = new FrameConnection(new Duplex(b.Reader, a.Writer), options: new FrameConnectionOptions { Name = "dev" });
        device.MapRequestHandler(McpCommand.Read, async (req, ct) =>
        {
            ReadRequest r = ReadRequest.Read(req.Body.Span);
            int[] values = Enumerable.Range(r.Register, r.Count).ToArray();
            await req.ReplyOkAsync(new Int32Values(values), ct);
        });
        gateway.Start();
        device.Start();
        var client = new McpClient(gateway);

        TimeSpan rtt = await client.PingAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(rtt, Is.GreaterThan(TimeSpan.Zero));

        int[] values = await client.ReadAsync(1, 10, 3).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(values, Is.EqualTo(new[] { 10, 11, 12 }));

        var ex = Assert.ThrowsAsync<RemoteStatusException>(() => client.ConfigGetAsync(1).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.That(ex!.Status, Is.EqualTo((byte)McpStatus.UnknownCommand));
        Assert.That(ex.Message, Does.Contain("UNKNOWN_COMMAND").And.Contain("CONFIG_GET").And.Contain("gw"));
    }
}
