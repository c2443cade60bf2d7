using System.Collections.Concurrent;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>The typed MCP/1 API (PROTOCOL.md §2.3) against a tiny device written with the handler API.</summary>
public class McpClientTests : ConnectionTestBase
{
    [TestCase(100, 256, 100)]
    [TestCase(256, 64, 64)]
    public async Task Hello_identifies_the_device_and_negotiates_the_payload_limit_down_to_the_smaller_side(int deviceMax, int gatewayMax, int expected)
    {
        ConnectedPair pair = CreatePair(gateway: o => o.MaxPayloadLength = gatewayMax, device: o => o.MaxPayloadLength = 256);
        var device = new TinyDevice(pair.Device, (ushort)deviceMax);
        var client = new McpClient(pair.Gateway);

        DeviceInfo info = await client.HelloAsync().WaitAsync(Bound);

        // The device lowers its own limit once its HELLO answer has gone out: a moment after the gateway has it.
        await Bounded.UntilAsync(() => pair.Device.MaxPayloadLength == expected, $"the device applies the negotiated limit, {expected}");
        Assert.Multiple(() =>
        {
            Assert.That(info.ProtocolVersion, Is.EqualTo(1));
            Assert.That(info.DeviceId, Is.EqualTo("tiny-01"));
            Assert.That(info.Firmware, Is.EqualTo(new Version(1, 4, 2)));
            Assert.That(info.BootId, Is.EqualTo(device.BootId));
            Assert.That(info.Modules, Is.EqualTo(new[] { new ModuleInfo(1, 0x0101, 3, "thermo") }));
            Assert.That(client.Device, Is.SameAs(info));
            Assert.That(pair.Gateway.MaxPayloadLength, Is.EqualTo(expected));
            Assert.That(pair.Device.MaxPayloadLength, Is.EqualTo(expected));
        });
    }

    [Test]
    public async Task Ping_checks_the_echo_and_a_wrong_echo_is_a_ProtocolException()
    {
        ConnectedPair pair = CreatePair();
        var client = new McpClient(pair.Gateway);
        Assert.That(await client.PingAsync("hello"u8.ToArray()).WaitAsync(Bound), Is.EqualTo(TimeSpan.Zero), "no fake time passed");
        await client.PingAsync().WaitAsync(Bound);

        pair.Device.MapRequestHandler(McpCommand.Ping, (request, ct) => request.ReplyAsync(0, "hellO"u8.ToArray(), ct));
        ProtocolException error = Assert.ThrowsAsync<ProtocolException>(() => client.PingAsync("hello"u8.ToArray()).WaitAsync(Bound))!;
        Assert.That(error.Message, Does.Contain("PING").And.Contain("gw").And.Contain("echo"));
        Assert.That(error.LinkName, Is.EqualTo("gw"));
    }

    [Test]
    public async Task Describe_reads_every_register_over_several_pages()
    {
        ConnectedPair pair = CreatePair(device: o => o.MaxPayloadLength = 64);
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);

        IReadOnlyList<RegisterInfo> registers = await client.DescribeAsync(TinyDevice.Slot).WaitAsync(Bound);

        Assert.Multiple(() =>
        {
            Assert.That(registers, Has.Count.EqualTo(device.RegisterCount));
            Assert.That(registers[0], Is.EqualTo(new RegisterInfo(0x10, RegisterAccess.Read, "register00")));
            Assert.That(registers[11], Is.EqualTo(new RegisterInfo(0x1B, RegisterAccess.Read | RegisterAccess.Write, "register11")));
            Assert.That(registers[^1], Is.EqualTo(new RegisterInfo(0x81, RegisterAccess.Read | RegisterAccess.Config, "hysteresis")));
            Assert.That(device.DescribeFirsts.Count, Is.GreaterThanOrEqualTo(3), "several pages");
            Assert.That(device.DescribeFirsts.First(), Is.Zero);
        });
    }

    [Test]
    public async Task Read_and_write_live_registers_with_statuses_as_typed_errors()
    {
        ConnectedPair pair = CreatePair();
        _ = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);

        Assert.That(await client.ReadAsync(TinyDevice.Slot, 0x14, 3).WaitAsync(Bound), Is.EqualTo(new[] { 400, 500, 600 }));
        await client.WriteAsync(TinyDevice.Slot, 0x14, new[] { -1, int.MaxValue }).WaitAsync(Bound);
        int[] buffer = new int[3];
        await client.ReadAsync(TinyDevice.Slot, 0x14, buffer).AsTask().WaitAsync(Bound);
        Assert.That(buffer, Is.EqualTo(new[] { -1, int.MaxValue, 600 }));

        RemoteStatusException readOnly = Assert.ThrowsAsync<RemoteStatusException>(() => client.WriteAsync(TinyDevice.Slot, 0x10, new[] { 1 }).WaitAsync(Bound))!;
        Assert.That(readOnly.Status, Is.EqualTo((byte)McpStatus.ReadOnly));
        Assert.That(readOnly.StatusName, Is.EqualTo("READ_ONLY"));
        Assert.That(readOnly.RemoteMessage, Does.Contain("read-only"));
        Assert.That(readOnly.Message, Does.Contain("WRITE").And.Contain("READ_ONLY").And.Contain("gw"));

        RemoteStatusException noModule = Assert.ThrowsAsync<RemoteStatusException>(() => client.ReadAsync(9, 0x10).WaitAsync(Bound))!;
        Assert.That(noModule.Status, Is.EqualTo((byte)McpStatus.NoSuchModule));
        Assert.That(noModule.Command, Is.EqualTo(McpCommand.Read));
    }

    [Test]
    public async Task Subscribe_yields_typed_events_reports_gaps_as_lost_and_unsubscribes_when_disposed()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);
        var request = new SubscribeRequest(TinyDevice.Slot, 0x10, 2, 100, SubscribeMode.Periodic);

        McpSubscription subscription = await client.SubscribeAsync(request).WaitAsync(Bound);
        Assert.That(device.Subscriptions[subscription.SubscriptionId], Is.EqualTo(request));
        byte other = (byte)(subscription.SubscriptionId + 100);

        await device.PublishAsync(subscription.SubscriptionId, 0, 10, 11);
        await device.PublishAsync(other, 0, 99, 99);                       // another subscription
        await device.PublishAsync(subscription.SubscriptionId, 1, 20, 21);
        await device.PublishAsync(subscription.SubscriptionId, 4, 50, 51); // 2 and 3 were lost
        await pair.Device.SendOneWayAsync(McpCommand.Event, new byte[] { subscription.SubscriptionId, 5, 0 }); // malformed
        await device.PublishAsync(subscription.SubscriptionId, 5, 60, 61);

        var seen = new List<(ushort Seq, int[] Values, long LostBefore)>();
        using var timeout = new CancellationTokenSource(Bound);
        await foreach (McpEvent evt in subscription.ReadAllAsync(timeout.Token))
        {
            Assert.That(evt.SubscriptionId, Is.EqualTo(subscription.SubscriptionId));
            Assert.That(evt.UptimeMs, Is.EqualTo(1234));
            seen.Add((evt.EventSeq, evt.ToArray(), evt.LostBefore));
            if (seen.Count == 4)
            {
                break;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(s => s.Seq), Is.EqualTo(new ushort[] { 0, 1, 4, 5 }));
            Assert.That(seen[2].Values, Is.EqualTo(new[] { 50, 51 }));
            Assert.That(seen.Select(s => s.LostBefore), Is.EqualTo(new long[] { 0, 0, 2, 0 }));
            Assert.That(subscription.LostEvents, Is.EqualTo(2));
            Assert.That(subscription.Received, Is.EqualTo(4));
            Assert.That(subscription.Malformed, Is.EqualTo(1));
        });

        await subscription.DisposeAsync().AsTask().WaitAsync(Bound);
        Assert.That(device.Unsubscribed, Is.EqualTo(new[] { subscription.SubscriptionId }));
        await subscription.Completion.WaitAsync(Bound);
        await subscription.DisposeAsync(); // once only
        Assert.That(device.Unsubscribed, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_subscribe_answered_after_it_timed_out_is_unsubscribed_on_the_device()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        device.SubscribeReplyHeld = answer.Task;
        var client = new McpClient(pair.Gateway);
        TimeSpan timeout = TimeSpan.FromSeconds(2);
        int armed = Clock.ArmedCount(timeout);

        Task<McpSubscription> subscribing = client.SubscribeAsync(
            new SubscribeRequest(TinyDevice.Slot, 0x10, 1, 100, SubscribeMode.Periodic),
            options: new RequestOptions { Timeout = timeout });
        await Clock.WaitForArmedAsync(timeout, armed + 1).WaitAsync(Bound);
        Clock.Advance(timeout);
        Assert.ThrowsAsync<RequestTimeoutException>(async () => await subscribing.WaitAsync(Bound));

        // The SUBSCRIBE was written before its timeout fired, but the device handles it on its own tasks.
        await Bounded.UntilAsync(() => !device.Subscriptions.IsEmpty, "the device has made the subscription");
        Assert.That(device.Subscriptions, Has.Count.EqualTo(1), "the device made it before the gateway gave up");
        byte made = device.Subscriptions.Keys.Single();

        answer.SetResult(); // the answer comes late, while its seq is still retired
        await device.WaitForUnsubscribeAsync().WaitAsync(Bound);

        // The read loop counts the late answer before it hands it to the observer that starts the UNSUBSCRIBE.

        Assert.Multiple(() =>
        {
            Assert.That(device.Unsubscribed, Is.EqualTo(new[] { made }), "the subscription nobody reads is released");
            Assert.That(device.Subscriptions, Is.Empty);
            Assert.That(pair.Gateway.Statistics.UnmatchedResponses, Is.EqualTo(1), "the late answer is still dropped and counted");
        });
    }

    [Test]
    public async Task Config_get_and_set_with_optimistic_versions_VERSION_CONFLICT_is_status_0x07()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);

        ConfigSnapshot before = await client.ConfigGetAsync(TinyDevice.Slot).WaitAsync(Bound);
        Assert.That(before.Version, Is.Zero);
        Assert.That(before.Entries, Is.EqualTo(new[] { new ConfigEntry(0x80, 2150), new ConfigEntry(0x81, 50) }));

        uint version = await client.ConfigSetAsync(TinyDevice.Slot, 0, [new ConfigEntry(0x80, 2200)]).WaitAsync(Bound);
        Assert.That(version, Is.EqualTo(1));

        RemoteStatusException conflict = Assert.ThrowsAsync<RemoteStatusException>(() => client.ConfigSetAsync(TinyDevice.Slot, 0, [new ConfigEntry(0x81, 1)]).WaitAsync(Bound))!;
        Assert.Multiple(() =>
        {
            Assert.That(conflict.Status, Is.EqualTo(0x07));
            Assert.That(conflict.StatusName, Is.EqualTo("VERSION_CONFLICT"));
            Assert.That(conflict.Command, Is.EqualTo(McpCommand.ConfigSet));
        });

        ConfigSnapshot after = await client.ConfigGetAsync(TinyDevice.Slot).WaitAsync(Bound);
        Assert.That(after.Version, Is.EqualTo(1));
        Assert.That(after.Entries, Is.EqualTo(new[] { new ConfigEntry(0x80, 2200), new ConfigEntry(0x81, 50) }));
        Assert.That(device.ConfigVersion, Is.EqualTo(1));
    }

    [Test]
    public async Task Reset_is_acknowledged()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        await new McpClient(pair.Gateway).ResetAsync().WaitAsync(Bound);
        Assert.That(device.Resets, Is.EqualTo(new byte[] { 0 }));
    }

    [Test]
    public async Task Hello_with_an_unusable_payload_limit_or_another_version_is_a_ProtocolException()
    {
        ConnectedPair pair = CreatePair();
        var bodies = new ConcurrentQueue<byte[]>();
        pair.Device.MapRequestHandler(McpCommand.Hello, (request, ct) => request.ReplyAsync(0, bodies.TryDequeue(out byte[]? b) ? b : [], ct));
        var client = new McpClient(pair.Gateway);
        byte[] Hello(byte version, ushort max) => [version, (byte)max, (byte)(max >> 8), 1, (byte)'x', 1, 0, 0, 1, 2, 3, 4, 0];

        bodies.Enqueue(Hello(2, 256));
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => client.HelloAsync().WaitAsync(Bound))!.Message, Does.Contain("version 2"));
        bodies.Enqueue(Hello(1, 1));
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => client.HelloAsync().WaitAsync(Bound))!.Message, Does.Contain("maxPayload"));
        Assert.That(pair.Gateway.MaxPayloadLength, Is.EqualTo(256), "the limit is unchanged after a refused HELLO");
    }

    [Test]
    public async Task Malformed_response_bodies_raise_ProtocolException_and_nothing_else()
    {
        ConnectedPair pair = CreatePair();
        var bodies = new ConcurrentQueue<byte[]>();
        RequestHandler garbage = (request, ct) => request.ReplyAsync(0, bodies.TryDequeue(out byte[]? body) ? body : [], ct);
        foreach (byte command in new[] { McpCommand.Hello, McpCommand.Ping, McpCommand.Describe, McpCommand.Read, McpCommand.Subscribe, McpCommand.ConfigGet, McpCommand.ConfigSet })
        {
            pair.Device.MapRequestHandler(command, garbage);
        }

        var client = new McpClient(pair.Gateway);
        var calls = new (string Name, byte[] Valid, Func<Task> Call)[]
        {
            ("HELLO", [1, 0, 1, 2, (byte)'i', (byte)'d', 1, 2, 3, 4, 0, 0, 0, 1, 1, 1, 0, 1, 1, (byte)'m'], () => client.HelloAsync()),
            ("PING", [1, 2, 3, 4], () => client.PingAsync(new byte[] { 1, 2, 3, 4 })),
            ("DESCRIBE", [1, 0, 1, 0x10, 0, 1, 2, (byte)'a', (byte)'b'], () => client.DescribeAsync(1)),
            ("READ", [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0], () => client.ReadAsync(1, 0, 3)),
            ("SUBSCRIBE", [7], async () => await (await client.SubscribeAsync(new SubscribeRequest(1, 0, 1, 10, SubscribeMode.Periodic))).DisposeAsync()),
            ("CONFIG_GET", [1, 0, 0, 0, 1, 0x80, 0, 5, 0, 0, 0], () => client.ConfigGetAsync(1)),
            ("CONFIG_SET", [2, 0, 0, 0], () => client.ConfigSetAsync(1, 1, [new ConfigEntry(0x80, 1)])),
        };

        var random = new Random(777);
        int protocolErrors = 0, successes = 0;
        var unexpected = new List<string>();
        foreach ((string name, byte[] valid, Func<Task> call) in calls)
        {
            var cases = new List<(byte[] Body, bool MustFail)>();
            for (int length = 0; length < valid.Length; length++)
            {
                cases.Add((valid[..length], true)); // every truncation of a good body
            }

            for (int i = 0; i < 40; i++)
            {
                byte[] junk = new byte[random.Next(0, 48)];
                random.NextBytes(junk);
                cases.Add((junk, false));
            }

            cases.Add((valid, false));
            foreach ((byte[] body, bool mustFail) in cases)
            {
                bodies.Clear();
                for (int i = 0; i < 4; i++)
                {
                    bodies.Enqueue(body); // DESCRIBE may ask for more pages
                }

                try
                {
                    await call().WaitAsync(Bound);
                    successes++;
                    if (mustFail)
                    {
                        unexpected.Add($"{name}: truncated body of {body.Length} bytes was accepted");
                    }
                }
                catch (ProtocolException)
                {
                    protocolErrors++;
                }
                catch (Exception ex) when (ex is not TimeoutException)
                {
                    unexpected.Add($"{name} [{Convert.ToHexString(body)}]: {ex.GetType().Name}: {ex.Message}");
                }

                pair.Gateway.MaxPayloadLength = 256; // a random HELLO may have lowered it
            }
        }

        TestContext.Out.WriteLine($"ProtocolException {protocolErrors}, accepted {successes}");
        Assert.That(unexpected, Is.Empty);
    }

    [Test]
    public async Task A_slow_typed_subscriber_counts_its_drops()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);
        await using McpSubscription subscription = await client.SubscribeAsync(
            new SubscribeRequest(TinyDevice.Slot, 0x10, 1, 10, SubscribeMode.OnChange),
            new OneWaySubscriptionOptions { Capacity = 2, Overflow = OverflowPolicy.DropOldest }).WaitAsync(Bound);
        for (ushort i = 0; i < 10; i++)
        {
            await device.PublishAsync(subscription.SubscriptionId, i, i);
        }

        List<ushort> seen = await ReadAfterTheEventsArrivedAsync(pair, subscription, 2);

        Assert.That(seen, Is.EqualTo(new ushort[] { 8, 9 }));
        Assert.That(subscription.Dropped, Is.EqualTo(8));
        Assert.That(subscription.LostEvents, Is.Zero, "every eventSeq 0..9 arrived; the queue dropped them, the link did not lose them");
    }

    [TestCase(OverflowPolicy.DropOldest, new ushort[] { 8, 9 })]
    [TestCase(OverflowPolicy.DropNewest, new ushort[] { 0, 1 })]
    public async Task Lost_events_count_the_links_gaps_and_not_the_queues_drops(OverflowPolicy overflow, ushort[] expected)
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);
        await using McpSubscription subscription = await client.SubscribeAsync(
            new SubscribeRequest(TinyDevice.Slot, 0x10, 1, 10, SubscribeMode.Periodic),
            new OneWaySubscriptionOptions { Capacity = 2, Overflow = overflow }).WaitAsync(Bound);
        foreach (ushort seq in new ushort[] { 0, 1, 2, 3, 4, 7, 8, 9 }) // 5 and 6 lost on the way
        {
            await device.PublishAsync(subscription.SubscriptionId, seq, seq);
        }

        List<ushort> seen = await ReadAfterTheEventsArrivedAsync(pair, subscription, 2);

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(expected));
            Assert.That(subscription.Dropped, Is.EqualTo(6), "eight arrived, two fit the queue");
            Assert.That(subscription.LostEvents, Is.EqualTo(2), "eventSeq 5 and 6 never arrived");
            Assert.That(subscription.Received, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task An_event_with_another_number_of_values_than_subscribed_is_skipped_as_malformed()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);
        await using McpSubscription subscription = await client.SubscribeAsync(
            new SubscribeRequest(TinyDevice.Slot, 0x10, 2, 100, SubscribeMode.Periodic)).WaitAsync(Bound);

        await device.PublishAsync(subscription.SubscriptionId, 0, 10);         // one value of two
        await device.PublishAsync(subscription.SubscriptionId, 1, 20, 21, 22); // three of two
        await device.PublishAsync(subscription.SubscriptionId, 2, 30, 31);

        McpEvent first = default;
        await foreach (McpEvent evt in subscription.ReadAllAsync(new CancellationTokenSource(Bound).Token))
        {
            first = evt;
            break;
        }

        Assert.Multiple(() =>
        {
            Assert.That(first.EventSeq, Is.EqualTo(2));
            Assert.That(first.ToArray(), Is.EqualTo(new[] { 30, 31 }));
            Assert.That(subscription.Malformed, Is.EqualTo(2));
            Assert.That(subscription.Received, Is.EqualTo(1));
            Assert.That(subscription.LostEvents, Is.Zero, "both arrived; they were unusable, not lost");
        });
    }
    [TestCase("a", 2)] // é is two bytes in UTF-8: 1 + 2 × 126 = 253 of the 254 bytes of room
    [TestCase("ab", 2)] // 2 + 2 × 126 = 254
    [TestCase("a", 3)] // € is three bytes: 1 + 3 × 84 = 253
    public async Task A_status_message_cut_to_the_payload_limit_ends_at_a_character_boundary(string prefix, int bytesPerChar)
    {
        ConnectedPair pair = CreatePair();
        char wide = bytesPerChar == 2 ? '\u00e9' : '\u20ac';
        string message = prefix + new string(wide, 200); // far more than the room: 256 − seq − status
        pair.Device.MapRequestHandler(0x55, (request, ct) => request.ReplyStatusAsync(McpStatus.BadRequest, message, ct));

        RemoteStatusException error = Assert.ThrowsAsync<RemoteStatusException>(
            () => pair.Gateway.SendRequestAsync(0x55, new byte[] { 1 }, new RequestOptions { MaxRetries = 0 }).AsTask().WaitAsync(Bound))!;

        int whole = (254 - prefix.Length) / bytesPerChar;
        Assert.That(error.RemoteMessage, Is.EqualTo(prefix + new string(wide, whole)), "the longest prefix that fits, whole characters only");
    }

    /// <summary>Reads the first <paramref name="count"/> events' eventSeqs once every event published so far has reached the queue.</summary>
    private static async Task<List<ushort>> ReadAfterTheEventsArrivedAsync(ConnectedPair pair, McpSubscription subscription, int count)
    {
        using (await pair.Gateway.SendRequestAsync(McpCommand.Ping, new byte[] { 1 }).AsTask().WaitAsync(Bound)) // the events were read before the answer
        {
        }

        var seen = new List<ushort>();
        await foreach (McpEvent evt in subscription.ReadAllAsync(new CancellationTokenSource(Bound).Token))
        {
            seen.Add(evt.EventSeq);
            if (seen.Count == count)
            {
                break;
            }
        }

        return seen;
    }
}
