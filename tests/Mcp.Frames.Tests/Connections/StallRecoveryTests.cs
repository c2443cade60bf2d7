using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.Framing;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Tests.Support;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>PROTOCOL.md §1.1 rule 5 at the connection level, on a serial-like link with a stall timeout.</summary>
public class StallRecoveryTests : ConnectionTestBase
{
    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(50);

    [Test]
    public async Task A_frame_with_a_lost_byte_stalls_and_the_good_request_after_it_is_answered_once_the_stall_timeout_passes()
    {
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        RawPeer gateway = Track(new RawPeer(gatewayEnd));
        FrameConnection device = Track(new FrameConnection(deviceEnd, options: Options("dev", o => o.StallTimeout = Stall)));
        device.Start();

        // A PING (seq 1) whose len low byte was lost on the line: its header now claims 0x0100 bytes, so the good
        // request that follows disappears inside the candidate until rule 5 discards it.
        byte[] broken = WithLostLenByte(FrameWriter.ToArray(McpCommand.Ping, [1, 0xAA, 0xBB]));
        byte[] good = FrameWriter.ToArray(McpCommand.Ping, [2, 0x11, 0x22, 0x33]);
        await gateway.SendBytesAsync(broken);
        await gateway.SendBytesAsync(good);
        await deviceEnd.ObservedInput.WaitForExaminedAsync(broken.Length + good.Length);

        Assert.That(gateway.Queued, Is.Zero, "the good request is still hidden in the stalled candidate");
        Clock.Advance(Stall - TimeSpan.FromMilliseconds(1));
        Assert.That(device.ReceiverCounters.Stalled, Is.Zero);
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        RawFrame answer = await gateway.ReadFrameAsync();
        Assert.Multiple(() =>
        {
            Assert.That(answer.Command, Is.EqualTo(McpCommand.Ping | 0x80));
            Assert.That(answer.Payload, Is.EqualTo(new byte[] { 2, 0, 0x11, 0x22, 0x33 }));
            Assert.That(device.ReceiverCounters.Stalled, Is.EqualTo(1));
            Assert.That(device.ReceiverCounters.Delivered, Is.EqualTo(1));
            Assert.That(device.IsOpen, Is.True);
        });
    }

    [Test]
    public async Task Without_a_stall_timeout_the_good_request_stays_hidden()
    {
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        RawPeer gateway = Track(new RawPeer(gatewayEnd));
        FrameConnection device = Track(new FrameConnection(deviceEnd, options: Options("dev")));
        device.Start();
        byte[] broken = WithLostLenByte(FrameWriter.ToArray(McpCommand.Ping, [1, 0xAA, 0xBB]));
        byte[] good = FrameWriter.ToArray(McpCommand.Ping, [2, 0x11]);
        await gateway.SendBytesAsync(broken.Concat(good).ToArray());
        await deviceEnd.ObservedInput.WaitForExaminedAsync(broken.Length + good.Length);

        Clock.Advance(TimeSpan.FromSeconds(10));
        await Task.Yield();
        Assert.That(device.ReceiverCounters.Stalled, Is.Zero);
        Assert.That(device.ReceiverCounters.Delivered, Is.Zero);
    }

    [Test]
    public async Task The_transports_stall_timeout_applies_when_the_options_leave_it_unset()
    {
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        RawPeer gateway = Track(new RawPeer(gatewayEnd));
        FrameConnection device = Track(new FrameConnection(new SerialLikeTransport(deviceEnd, Stall), options: Options("dev")));
        device.Start();

        await SendStalledCandidateThenTwoPingsAsync(gateway, deviceEnd);

        Assert.That(gateway.Queued, Is.Zero, "the good requests are still hidden in the stalled candidate");
        Clock.Advance(Stall);

        List<RawFrame> answers = await gateway.ReadFramesAsync(2);
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Seq), Is.EquivalentTo(new byte[] { 2, 3 }), "both good requests answered (handlers run concurrently)");
            Assert.That(device.ReceiverCounters.Stalled, Is.EqualTo(1));
            Assert.That(device.ReceiverCounters.Delivered, Is.EqualTo(2));
            Assert.That(device.IsOpen, Is.True);
        });
    }

    [Test]
    public async Task A_transport_without_a_stall_timeout_gets_no_stall_recovery()
    {
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        RawPeer gateway = Track(new RawPeer(gatewayEnd));
        FrameConnection device = Track(new FrameConnection(new SerialLikeTransport(deviceEnd, stallTimeout: null), options: Options("dev")));
        device.Start();
        await SendStalledCandidateThenTwoPingsAsync(gateway, deviceEnd);

        // The read loop arms its stall timer before it advances the pipe: none was armed.
        Assert.That(Clock.ArmedCount(Stall), Is.Zero, "a stall timer");
        Clock.Advance(Stall);
        await Task.Yield();
        Assert.Multiple(() =>
        {
            Assert.That(device.ReceiverCounters.Stalled, Is.Zero);
            Assert.That(device.ReceiverCounters.Delivered, Is.Zero);
            Assert.That(gateway.Queued, Is.Zero);
        });
    }

    [Test]
    public async Task The_requester_side_recovers_too_a_broken_answer_then_a_good_one()
    {
        (TestDuplexPipe gatewayEnd, TestDuplexPipe deviceEnd) = TestDuplexPipe.CreatePair();
        RawPeer device = Track(new RawPeer(deviceEnd));
        FrameConnection gateway = Track(new FrameConnection(gatewayEnd, options: Options("gw", o =>
        {
            o.StallTimeout = Stall;
            o.RequestTimeout = TimeSpan.FromSeconds(1);
        })));
        gateway.Start();

        // Use up seq 0 so that the broken answer's seq (1) turns into a len of 0x0100.
        Task<Response> warmUp = gateway.SendRequestAsync(0x55, new byte[] { 0 }).AsTask();
        await device.ReplyAsync(await device.ReadFrameAsync(), 0);
        (await warmUp.WaitAsync(Bound)).Dispose();

        Task<Response> first = gateway.SendRequestAsync(0x55, new byte[] { 1 }).AsTask();
        Task<Response> second = gateway.SendRequestAsync(0x55, new byte[] { 2 }).AsTask();
        List<RawFrame> requests = await device.ReadFramesAsync(2);
        byte[] broken = WithLostLenByte(FrameWriter.ToArray(0xD5, [requests[0].Seq, 0, 1])); // claims 0x..00 + seq*256 bytes
        byte[] good = FrameWriter.ToArray(0xD5, [requests[1].Seq, 0, 2]);
        Assert.That(requests[0].Seq, Is.EqualTo(1));
        long before = gatewayEnd.ObservedInput.Examined;
        await device.SendBytesAsync(broken.Concat(good).ToArray());
        await gatewayEnd.ObservedInput.WaitForExaminedAsync(before + broken.Length + good.Length);

        Assert.That(second.IsCompleted, Is.False, "the good answer is hidden in the stalled candidate");
        Clock.Advance(Stall);
        using Response answer = await second.WaitAsync(Bound);
        Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 2 }));
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => first.WaitAsync(Bound));
        Assert.That(gateway.ReceiverCounters.Stalled, Is.EqualTo(1));
    }

    /// <summary>A frame whose len low byte was lost on the line: its header now claims far more bytes than follow.</summary>
    private static byte[] WithLostLenByte(byte[] frame) => [.. frame[..2], .. frame[3..]];

    /// <summary>
    /// A PING (seq 1) that lost its len low byte, then two good PINGs (seqs 2 and 3) that disappear inside its
    /// candidate; returns once the device's read loop has examined all of it.
    /// </summary>
    private static async Task SendStalledCandidateThenTwoPingsAsync(RawPeer gateway, TestDuplexPipe deviceEnd)
    {
        byte[] broken = WithLostLenByte(FrameWriter.ToArray(McpCommand.Ping, [1, 0xAA, 0xBB]));
        byte[] good = [.. FrameWriter.ToArray(McpCommand.Ping, [2, 0x11]), .. FrameWriter.ToArray(McpCommand.Ping, [3, 0x22])];
        await gateway.SendBytesAsync(broken.Concat(good).ToArray());
        await deviceEnd.ObservedInput.WaitForExaminedAsync(broken.Length + good.Length);
    }

    /// <summary>A link that reports a stall timeout of its own, as a serial transport does.</summary>
    private sealed class SerialLikeTransport(TestDuplexPipe end, TimeSpan? stallTimeout) : ITransport
    {
        public string Name => "serial-like";

        public TimeSpan? StallTimeout => stallTimeout;

        public PipeReader Input => end.Input;

        public PipeWriter Output => end.Output;

        public async ValueTask DisposeAsync()
        {
            await end.Input.CompleteAsync();
            await end.Output.CompleteAsync();
        }
    }
}
