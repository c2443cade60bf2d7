using System.Net;
using Mcp.Frames.Connections;
using Mcp.Frames.Profiles;
using Mcp.Frames.Transports;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>PROTOCOL.md §2.4: firmware without seq, driven by the same connection through <see cref="LegacyProfile"/>.</summary>
public class LegacyProfileTests : ConnectionTestBase
{
    private const byte Read = 0x10;
    private const byte Write = 0x11;

    [Test]
    public async Task Requests_and_responses_carry_only_the_body_and_match_by_command()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(profile: new LegacyProfile());

        Task<Response> call = gateway.SendRequestAsync(Read, new byte[] { 1, 2, 3 }).AsTask();
        RawFrame request = await device.ReadFrameAsync();
        Assert.That(request.Command, Is.EqualTo(Read));
        Assert.That(request.Payload, Is.EqualTo(new byte[] { 1, 2, 3 }), "no seq in front of the body");

        await device.SendAsync(Read | 0x80, 9, 8);
        using Response answer = await call.WaitAsync(Bound);
        Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 9, 8 }));
        Assert.That(answer.Status, Is.EqualTo(0));
    }

    [Test]
    public async Task A_second_request_of_the_same_command_waits_while_another_command_goes_out()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice(profile: new LegacyProfile());

        Task<Response> first = gateway.SendRequestAsync(Read, new byte[] { 1 }).AsTask();
        Task<Response> second = gateway.SendRequestAsync(Read, new byte[] { 2 }).AsTask();
        Task<Response> other = gateway.SendRequestAsync(Write, new byte[] { 3 }).AsTask();
        List<RawFrame> sent = await device.ReadFramesAsync(2);
        Assert.That(sent.Select(f => (f.Command, f.Payload[0])), Is.EquivalentTo(new[] { (Read, (byte)1), (Write, (byte)3) }));
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(2), "the second READ waits for the first");

        // Answers in order per command: the first READ answer goes to the first READ.
        await device.SendAsync(Write | 0x80, 30);
        await device.SendAsync(Read | 0x80, 10);
        using (Response a = await first.WaitAsync(Bound))
        {
            Assert.That(a.Body.ToArray(), Is.EqualTo(new byte[] { 10 }));
        }

        using (Response w = await other.WaitAsync(Bound))
        {
            Assert.That(w.Body.ToArray(), Is.EqualTo(new byte[] { 30 }));
        }

        RawFrame next = await device.ReadFrameAsync();
        Assert.That(next.Payload, Is.EqualTo(new byte[] { 2 }));
        await device.SendAsync(Read | 0x80, 20);
        using Response b = await second.WaitAsync(Bound);
        Assert.That(b.Body.ToArray(), Is.EqualTo(new byte[] { 20 }));
    }

    [Test]
    public async Task A_late_answer_after_a_timeout_is_dropped_because_the_command_stays_blocked_for_the_retirement_period()
    {
        (FrameConnection gateway, RawPeer device, TestDuplexPipe end) = CreateWithRawDevice(o => o.RequestTimeout = TimeSpan.FromSeconds(1), new LegacyProfile());

        Task<Response> first = gateway.SendRequestAsync(Read, new byte[] { 1 }).AsTask();
        await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<RequestTimeoutException>(() => first.WaitAsync(Bound));

        Task<Response> second = gateway.SendRequestAsync(Read, new byte[] { 2 }, new RequestOptions { Timeout = TimeSpan.FromSeconds(5) }).AsTask();
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1), "the command is retired: the next READ is not sent");

        await device.SendAsync(Read | 0x80, 11); // the late answer to the first READ
        await end.ObservedInput.WaitForConsumedAsync(6);
        Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));

        // Retired for two timeout periods (2 s) from the timeout.
        Clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.That(gateway.Statistics.RequestsSent, Is.EqualTo(1));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        RawFrame retry = await device.ReadFrameAsync();
        Assert.That(retry.Payload, Is.EqualTo(new byte[] { 2 }));
        await device.SendAsync(Read | 0x80, 22);
        using Response answer = await second.WaitAsync(Bound);
        Assert.That(answer.Body.ToArray(), Is.EqualTo(new byte[] { 22 }));
        Assert.That(gateway.Statistics.UnmatchedResponses, Is.EqualTo(1));
    }

    [Test]
    public async Task Two_legacy_connections_talk_over_the_TCP_transport()
    {
        var profile = new LegacyProfile(new LegacyProfileOptions { HeartbeatCommand = 0x02 });
        TcpTransportListener listener = Track(new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0)));
        Task<ITransport> accepted = listener.AcceptAsync().AsTask();
        ITransport client = Track(await new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port).ConnectAsync().AsTask().WaitAsync(Bound));
        ITransport server = Track(await accepted.WaitAsync(Bound));
        FrameConnection gateway = Track(new FrameConnection(client, profile, Options("gw")));
        FrameConnection device = Track(new FrameConnection(server, profile, Options("dev")));
        device.MapRequestHandler(Read, (request, ct) => request.ReplyAsync(0, request.Body.ToArray().Select(b => (byte)(b + 100)).ToArray(), ct));
        using OneWaySubscription events = gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = 0x40 });
        gateway.Start();
        device.Start();

        // Requests of one command one at a time, two commands side by side, over a real socket.
        Task<Response>[] reads = [.. Enumerable.Range(1, 30).Select(i => gateway.SendRequestAsync(Read, new[] { (byte)i }).AsTask())];
        Task<Response> echo = gateway.SendRequestAsync(0x02, new byte[] { 7, 7 }).AsTask();
        for (int i = 0; i < reads.Length; i++)
        {
            using Response answer = await reads[i].WaitAsync(Bound);
            Assert.That(answer.Body.ToArray(), Is.EqualTo(new[] { (byte)(i + 101) }), $"READ {i + 1}");
        }

        using (Response heartbeat = await echo.WaitAsync(Bound))
        {
            Assert.That(heartbeat.Body.ToArray(), Is.EqualTo(new byte[] { 7, 7 }));
        }

        await device.SendOneWayAsync(0x40, new byte[] { 4, 2 });
        Assert.That(await events.WaitToReadAsync().AsTask().WaitAsync(Bound), Is.True);
        Assert.That(events.TryRead(out OneWayMessage message), Is.True);
        using (message)
        {
            Assert.That(message.Payload.ToArray(), Is.EqualTo(new byte[] { 4, 2 }));
        }

        Assert.That(gateway.Statistics.UnmatchedResponses + gateway.Statistics.MalformedFrames, Is.Zero);
    }

    [Test]
    public async Task Two_legacy_connections_talk_end_to_end_with_handlers_and_one_way_messages()
    {
        var profile = new LegacyProfile(new LegacyProfileOptions { HeartbeatCommand = 0x02 });
        ConnectedPair pair = CreatePair(profile: profile);
        pair.Device.MapRequestHandler(Read, (request, ct) =>
        {
            byte[] doubled = request.Body.ToArray().Select(b => (byte)(b * 2)).ToArray();
            return request.ReplyAsync(0, doubled, ct);
        });
        using OneWaySubscription events = pair.Gateway.SubscribeOneWay(new OneWaySubscriptionOptions { Command = 0x40 });

        for (int i = 1; i <= 20; i++)
        {
            using Response answer = await pair.Gateway.SendRequestAsync(Read, new[] { (byte)i }).AsTask().WaitAsync(Bound);
            Assert.That(answer.Body.ToArray(), Is.EqualTo(new[] { (byte)(i * 2) }));
        }

        using (Response echo = await pair.Gateway.SendRequestAsync(0x02, new byte[] { 7, 7 }).AsTask().WaitAsync(Bound))
        {
            Assert.That(echo.Body.ToArray(), Is.EqualTo(new byte[] { 7, 7 }), "the heartbeat command is echoed");
        }

        await pair.Device.SendOneWayAsync(0x40, new byte[] { 4, 2 });
        Assert.That(await events.WaitToReadAsync().AsTask().WaitAsync(Bound), Is.True);
        Assert.That(events.TryRead(out OneWayMessage message), Is.True);
        using (message)
        {
            Assert.That(message.Payload.ToArray(), Is.EqualTo(new byte[] { 4, 2 }));
        }

        // No status byte: a request without a handler is not answered (and times out).
        long before = pair.DeviceEnd.ObservedInput.Consumed;
        Task<Response> unanswered = pair.Gateway.SendRequestAsync(0x30, new byte[] { 1 }).AsTask();
        await pair.DeviceEnd.ObservedInput.WaitForConsumedAsync(before + 6);
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.ThrowsAsync<RequestTimeoutException>(() => unanswered.WaitAsync(Bound));
    }
}
