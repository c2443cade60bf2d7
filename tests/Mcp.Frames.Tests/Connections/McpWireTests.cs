using System.Collections.Concurrent;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Tests.Support;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// The typed MCP/1 API against the bytes of PROTOCOL.md §2.3 (a raw peer, not the library's own device helpers),
/// hostile devices, the wrap of <c>eventSeq</c>, and the device-side request readers with hostile bodies.
/// </summary>
public class McpWireTests : ConnectionTestBase
{
    private static readonly (string Name, byte[] Valid, Func<byte[], object> Read)[] RequestReaders =
    [
        ("HELLO", [1, 0x00, 0x01], b => HelloRequest.Read(b)),
        ("DESCRIBE", [1, 0], b => DescribeRequest.Read(b)),
        ("READ", [1, 0x10, 0x00, 2], b => ReadRequest.Read(b)),
        ("WRITE", [1, 0x10, 0x00, 1, 0, 0, 0], b => WriteRequest.Read(b)), // one value: every shorter body is malformed
        ("SUBSCRIBE", [1, 0x10, 0x00, 2, 10, 0, 1], b => SubscribeRequest.Read(b)),
        ("CONFIG_SET", [1, 3, 0, 0, 0, 2, 0x80, 0, 5, 0, 0, 0, 0x81, 0, 6, 0, 0, 0], b => ConfigSetRequest.Read(b)),
        ("UNSUBSCRIBE", [3], b => UnsubscribeRequest.Read(b)),
        ("CONFIG_GET", [1], b => ConfigGetRequest.Read(b)),
        ("RESET", [0], b => ResetRequest.Read(b)),
    ];

    [Test]
    public async Task Every_request_and_answer_is_the_bytes_of_PROTOCOL_section_2_3()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        var client = new McpClient(gateway);

        Task<DeviceInfo> hello = client.HelloAsync();
        await ExpectAsync(device, McpCommand.Hello, [1, 0x00, 0x01], [1, 0x80, 0x00, 3, (byte)'d', (byte)'e', (byte)'v', 2, 5, 7, 0x78, 0x56, 0x34, 0x12, 2, 1, 0x01, 0x01, 3, 2, (byte)'t', (byte)'h', 4, 0x02, 0x03, 1, 0]);
        DeviceInfo info = await hello.WaitAsync(Bound);
        Assert.Multiple(() =>
        {
            Assert.That(info.ProtocolVersion, Is.EqualTo(1));
            Assert.That(info.MaxPayload, Is.EqualTo(128));
            Assert.That(info.DeviceId, Is.EqualTo("dev"));
            Assert.That(info.Firmware, Is.EqualTo(new Version(2, 5, 7)));
            Assert.That(info.BootId, Is.EqualTo(0x12345678));
            Assert.That(info.Modules, Is.EqualTo(new[] { new ModuleInfo(1, 0x0101, 3, "th"), new ModuleInfo(4, 0x0302, 1, "") }));
            Assert.That(gateway.MaxPayloadLength, Is.EqualTo(128));
        });

        Task<TimeSpan> ping = client.PingAsync(new byte[] { 9, 8, 7 });
        await ExpectAsync(device, McpCommand.Ping, [9, 8, 7], [9, 8, 7]);
        await ping.WaitAsync(Bound);

        Task<IReadOnlyList<RegisterInfo>> describe = client.DescribeAsync(3);
        await ExpectAsync(device, McpCommand.Describe, [3, 0], [2, 0, 1, 0x34, 0x12, 0x05, 1, (byte)'a']);
        await ExpectAsync(device, McpCommand.Describe, [3, 1], [2, 1, 1, 0x00, 0x01, 0x02, 0]);
        Assert.That(await describe.WaitAsync(Bound), Is.EqualTo(new[] { new RegisterInfo(0x1234, RegisterAccess.Read | RegisterAccess.Config, "a"), new RegisterInfo(0x0100, RegisterAccess.Write, "") }));

        Task<int[]> read = client.ReadAsync(2, 0x1234, 2);
        await ExpectAsync(device, McpCommand.Read, [2, 0x34, 0x12, 2], [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x80]);
        Assert.That(await read.WaitAsync(Bound), Is.EqualTo(new[] { -1, int.MinValue }));

        Task write = client.WriteAsync(2, 0x0102, new[] { 1, -2 });
        await ExpectAsync(device, McpCommand.Write, [2, 0x02, 0x01, 1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF], []);
        await write.WaitAsync(Bound);

        Task<McpSubscription> subscribe = client.SubscribeAsync(new SubscribeRequest(1, 0x0203, 2, 0x0506, SubscribeMode.OnChange));
        await ExpectAsync(device, McpCommand.Subscribe, [1, 0x03, 0x02, 2, 0x06, 0x05, 1], [9]);
        McpSubscription subscription = await subscribe.WaitAsync(Bound);
        Assert.That(subscription.SubscriptionId, Is.EqualTo(9));
        await device.SendAsync(McpCommand.Event, 9, 0x01, 0x02, 0x10, 0x20, 0x30, 0x40, 5, 0, 0, 0, 0xFA, 0xFF, 0xFF, 0xFF);
        await using (IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync(new CancellationTokenSource(Bound).Token).GetAsyncEnumerator())
        {
            Assert.That(await events.MoveNextAsync(), Is.True);
            Assert.Multiple(() =>
            {
                Assert.That(events.Current.SubscriptionId, Is.EqualTo(9));
                Assert.That(events.Current.EventSeq, Is.EqualTo(0x0201));
                Assert.That(events.Current.UptimeMs, Is.EqualTo(0x40302010));
                Assert.That(events.Current.ToArray(), Is.EqualTo(new[] { 5, -6 }));
            });
        }

        Task unsubscribe = subscription.DisposeAsync().AsTask();
        await ExpectAsync(device, McpCommand.Unsubscribe, [9], []);
        await unsubscribe.WaitAsync(Bound);

        Task<ConfigSnapshot> configGet = client.ConfigGetAsync(4);
        await ExpectAsync(device, McpCommand.ConfigGet, [4], [0x02, 0x01, 0, 0, 1, 0x80, 0x00, 0x10, 0x27, 0, 0]);
        ConfigSnapshot snapshot = await configGet.WaitAsync(Bound);
        Assert.That(snapshot.Version, Is.EqualTo(258));
        Assert.That(snapshot.Entries, Is.EqualTo(new[] { new ConfigEntry(0x80, 10000) }));

        Task<uint> configSet = client.ConfigSetAsync(4, 258, [new ConfigEntry(0x81, -5)]);
        await ExpectAsync(device, McpCommand.ConfigSet, [4, 0x02, 0x01, 0, 0, 1, 0x81, 0x00, 0xFB, 0xFF, 0xFF, 0xFF], [0x03, 0x01, 0, 0]);
        Assert.That(await configSet.WaitAsync(Bound), Is.EqualTo(259));

        Task reset = client.ResetAsync();
        await ExpectAsync(device, McpCommand.Reset, [0], []);
        await reset.WaitAsync(Bound);
        Assert.That(device.Queued, Is.Zero);
    }

    [Test]
    public async Task Ping_returns_the_round_trip_time_on_the_connections_clock()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        var client = new McpClient(gateway);

        Task<TimeSpan> echo = client.PingAsync(new byte[] { 1, 2 });
        RawFrame request = await device.ReadFrameAsync();
        Clock.Advance(TimeSpan.FromMilliseconds(250));
        await device.ReplyAsync(request, 0, request.Body);
        Assert.That(await echo.WaitAsync(Bound), Is.EqualTo(TimeSpan.FromMilliseconds(250)));

        Task<TimeSpan> counter = client.PingAsync();
        request = await device.ReadFrameAsync();
        Assert.That(request.Body, Has.Length.EqualTo(8));
        Clock.Advance(TimeSpan.FromMilliseconds(40));
        await device.ReplyAsync(request, 0, request.Body);
        Assert.That(await counter.WaitAsync(Bound), Is.EqualTo(TimeSpan.FromMilliseconds(40)));
    }

    [TestCase("repeats-the-first-page", 2)]
    [TestCase("skips-ahead", 2)]
    [TestCase("sends-empty-pages", 1)]
    [TestCase("changes-the-total", 2)]
    [TestCase("claims-more-than-the-total", 1)]
    public async Task Describe_refuses_a_hostile_device_after_a_bounded_number_of_pages(string device, int requests)
    {
        ConnectedPair pair = CreatePair();
        var asked = new ConcurrentQueue<byte>();
        byte[] entry = [0x10, 0x00, 1, 1, (byte)'r'];
        pair.Device.MapRequestHandler(McpCommand.Describe, (request, ct) =>
        {
            byte first = DescribeRequest.Read(request.Body.Span).First;
            asked.Enqueue(first);
            byte[] page = device switch
            {
                "repeats-the-first-page" => [5, 0, 1, .. entry],           // never moves on
                "skips-ahead" => [5, (byte)(first * 2), 1, .. entry],       // answers 0, then 2 when asked for 1
                "sends-empty-pages" => [5, first, 0],                      // never ends
                "changes-the-total" => [(byte)(5 + first), first, 1, .. entry],
                _ => [2, first, 3, .. entry, .. entry, .. entry],          // entries 0..2 of 2
            };
            return request.ReplyAsync(0, page, ct);
        });

        ProtocolException error = Assert.ThrowsAsync<ProtocolException>(() => new McpClient(pair.Gateway).DescribeAsync(1).WaitAsync(Bound))!;
        Assert.That(error.Message, Does.Contain("DESCRIBE"));
        Assert.That(asked, Has.Count.EqualTo(requests));
    }

    [Test]
    public async Task Describe_of_255_registers_one_per_page_asks_for_each_page_once_and_stops()
    {
        ConnectedPair pair = CreatePair();
        var asked = new ConcurrentQueue<byte>();
        pair.Device.MapRequestHandler(McpCommand.Describe, (request, ct) =>
        {
            byte first = DescribeRequest.Read(request.Body.Span).First;
            asked.Enqueue(first);
            return request.ReplyAsync(0, new byte[] { 255, first, 1, first, 0, 1, 0 }, ct);
        });

        IReadOnlyList<RegisterInfo> registers = await new McpClient(pair.Gateway).DescribeAsync(1).WaitAsync(Bound);

        Assert.That(registers.Select(r => (int)r.Address), Is.EqualTo(Enumerable.Range(0, 255)));
        Assert.That(asked.Select(f => (int)f), Is.EqualTo(Enumerable.Range(0, 255)), "no page twice, none after the last");
    }

    [Test]
    public async Task Lost_events_are_counted_across_the_wrap_of_eventSeq_and_duplicates_are_skipped()
    {
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        await using McpSubscription subscription = await new McpClient(pair.Gateway).SubscribeAsync(new SubscribeRequest(TinyDevice.Slot, 0x10, 1, 10, SubscribeMode.Periodic)).WaitAsync(Bound);
        byte id = subscription.SubscriptionId;

        await device.PublishAsync(id, 65533, 1);
        await device.PublishAsync(id, 65535, 2); // 65534 lost
        await device.PublishAsync(id, 0, 3);     // the wrap: nothing lost
        await device.PublishAsync(id, 0, 99);    // a duplicate
        await device.PublishAsync(id, 65535, 99); // older than one already read
        await device.PublishAsync(id, 3, 4);     // 1 and 2 lost

        var seen = new List<(ushort Seq, int Value, long LostBefore)>();
        await foreach (McpEvent evt in subscription.ReadAllAsync(new CancellationTokenSource(Bound).Token))
        {
            seen.Add((evt.EventSeq, evt[0], evt.LostBefore));
            if (seen.Count == 4)
            {
                break;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(new (ushort, int, long)[] { (65533, 1, 0), (65535, 2, 1), (0, 3, 0), (3, 4, 2) }));
            Assert.That(subscription.LostEvents, Is.EqualTo(3));
            Assert.That(subscription.Received, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task A_typed_subscription_drops_the_oldest_event_by_default()
    {
        Assert.That(new OneWaySubscriptionOptions().Overflow, Is.EqualTo(OverflowPolicy.DropOldest));
        ConnectedPair pair = CreatePair();
        var device = new TinyDevice(pair.Device);
        var client = new McpClient(pair.Gateway);
        await using McpSubscription subscription = await client.SubscribeAsync(new SubscribeRequest(TinyDevice.Slot, 0x10, 1, 10, SubscribeMode.Periodic)).WaitAsync(Bound);
        for (ushort i = 0; i < 260; i++)
        {
            await device.PublishAsync(subscription.SubscriptionId, i, i); // 4 more than the default capacity of 256
        }

        await client.PingAsync().WaitAsync(Bound); // the events were read before the answer
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync(new CancellationTokenSource(Bound).Token).GetAsyncEnumerator();
        Assert.That(await events.MoveNextAsync(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(events.Current.EventSeq, Is.EqualTo(4), "the oldest were dropped");
            Assert.That(subscription.Dropped, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task Too_long_READ_and_CONFIG_GET_answers_and_partial_EVENT_values_are_ProtocolExceptions()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        var client = new McpClient(gateway);

        Task<int[]> read = client.ReadAsync(1, 0x10, 2);
        await device.ReplyAsync(await device.ReadFrameAsync(), 0, new byte[12]);
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => read.WaitAsync(Bound))!.Message, Does.Contain("READ").And.Contain("12 bytes"));

        Task<ConfigSnapshot> configGet = client.ConfigGetAsync(1);
        await device.ReplyAsync(await device.ReadFrameAsync(), 0, 0, 0, 0, 0, 1, 0x80, 0, 1, 0, 0, 0, 0xEE);
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => configGet.WaitAsync(Bound))!.Message, Does.Contain("CONFIG_GET").And.Contain("unexpected"));

        Assert.Throws<ProtocolException>(() => McpEvent.Read(new byte[] { 1, 0, 0, 0, 0, 0, 0, 1, 2 }));
        Assert.That(McpEvent.Read(new byte[] { 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4 }).ValueCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Answers_with_bytes_after_their_last_field_are_ProtocolExceptions_except_HELLO_which_a_later_version_may_extend()
    {
        (FrameConnection gateway, RawPeer device, _) = CreateWithRawDevice();
        var client = new McpClient(gateway);

        Task<McpSubscription> subscribe = client.SubscribeAsync(new SubscribeRequest(1, 0x10, 1, 10, SubscribeMode.Periodic));
        await device.ReplyAsync(await device.ReadFrameAsync(), 0, 7, 0xEE);
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => subscribe.WaitAsync(Bound))!.Message, Does.Contain("SUBSCRIBE response").And.Contain("1 unexpected bytes"));

        Task<uint> configSet = client.ConfigSetAsync(1, 0, [new ConfigEntry(0x80, 1)]);
        await device.ReplyAsync(await device.ReadFrameAsync(), 0, 1, 0, 0, 0, 0xEE);
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => configSet.WaitAsync(Bound))!.Message, Does.Contain("CONFIG_SET response").And.Contain("unexpected"));

        Task<IReadOnlyList<RegisterInfo>> describe = client.DescribeAsync(1);
        await device.ReplyAsync(await device.ReadFrameAsync(), 0, 1, 0, 1, 0x10, 0, 1, 1, (byte)'t', 0xEE);
        Assert.That(Assert.ThrowsAsync<ProtocolException>(() => describe.WaitAsync(Bound))!.Message, Does.Contain("DESCRIBE response").And.Contain("unexpected"));

        Task<DeviceInfo> hello = client.HelloAsync();
        await device.ReplyAsync(await device.ReadFrameAsync(), 0, 1, 0x80, 0x00, 1, (byte)'d', 1, 0, 0, 1, 0, 0, 0, 0, 0xEE, 0xEE);
        Assert.That((await hello.WaitAsync(Bound)).DeviceId, Is.EqualTo("d"), "HELLO ignores fields it does not know");
        Assert.That(HelloRequest.Read([1, 0x00, 0x01, 0xEE]).MaxPayload, Is.EqualTo(256));
    }

    [Test]
    public void The_device_side_request_readers_raise_ProtocolException_for_every_hostile_body_and_nothing_else()
    {
        var random = new Random(4242);
        var unexpected = new List<string>();
        foreach ((string name, byte[] valid, Func<byte[], object> read) in RequestReaders)
        {
            var cases = new List<(byte[] Body, bool MustFail)>();
            for (int length = 0; length < valid.Length; length++)
            {
                cases.Add((valid[..length], true)); // every truncation
            }

            for (int i = 0; i < 200; i++)
            {
                byte[] junk = new byte[random.Next(0, 40)];
                random.NextBytes(junk);
                cases.Add((junk, false));
            }

            cases.Add((valid, false));
            foreach ((byte[] body, bool mustFail) in cases)
            {
                try
                {
                    read(body);
                    if (mustFail)
                    {
                        unexpected.Add($"{name}: truncated body of {body.Length} bytes was accepted");
                    }
                }
                catch (ProtocolException)
                {
                    // the expected outcome for a hostile body
                }
                catch (Exception ex)
                {
                    unexpected.Add($"{name} [{Convert.ToHexString(body)}]: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }

        Assert.That(unexpected, Is.Empty);
    }

    [TestCase("READ count 0", new byte[] { 1, 0x10, 0, 0 })]
    [TestCase("WRITE without a value", new byte[] { 1, 0x10, 0 })]
    [TestCase("WRITE with a partial value", new byte[] { 1, 0x10, 0, 1, 0, 0, 0, 2 })]
    [TestCase("SUBSCRIBE count 0", new byte[] { 1, 0x10, 0, 0, 10, 0, 0 })]
    [TestCase("SUBSCRIBE period 9 ms", new byte[] { 1, 0x10, 0, 1, 9, 0, 0 })]
    [TestCase("SUBSCRIBE mode 2", new byte[] { 1, 0x10, 0, 1, 10, 0, 2 })]
    [TestCase("CONFIG_SET n 2 with one entry", new byte[] { 1, 0, 0, 0, 0, 2, 0x80, 0, 5, 0, 0, 0 })]
    [TestCase("CONFIG_SET with a byte after the entries", new byte[] { 1, 0, 0, 0, 0, 1, 0x80, 0, 5, 0, 0, 0, 7 })]
    [TestCase("DESCRIBE with a byte after first", new byte[] { 1, 0, 7 })]
    [TestCase("READ with a byte after count", new byte[] { 1, 0x10, 0, 1, 7 })]
    [TestCase("SUBSCRIBE with a byte after mode", new byte[] { 1, 0x10, 0, 1, 10, 0, 0, 7 })]
    [TestCase("UNSUBSCRIBE of two bytes", new byte[] { 3, 7 })]
    [TestCase("CONFIG_GET of two bytes", new byte[] { 1, 7 })]
    [TestCase("RESET of two bytes", new byte[] { 0, 7 })]
    public void A_request_body_with_a_bad_count_length_or_value_is_a_ProtocolException(string name, byte[] body)
    {
        Func<byte[], object> read = RequestReaders.Single(r => name.StartsWith(r.Name + " ", StringComparison.Ordinal)).Read;
        Assert.Throws<ProtocolException>(() => read(body), name);
    }

    [Test]
    public void The_device_side_answers_decode_to_what_was_encoded()
    {
        var device = new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = 300,
            DeviceId = "dev-ü",
            Firmware = new Version(1, 2, 3),
            BootId = 0xDEADBEEF,
            Modules = [new ModuleInfo(1, 0x0101, 2, "thermo"), new ModuleInfo(7, 0xFFFF, 255, "")],
        };
        DeviceInfo hello = DeviceInfo.Read(Encode(device));
        Assert.That(hello with { Modules = device.Modules }, Is.EqualTo(device));
        Assert.That(hello.Modules, Is.EqualTo(device.Modules));

        var page = new DescribePage(9, 4, [new RegisterInfo(0x8001, RegisterAccess.Read | RegisterAccess.Config, "setpoint"), new RegisterInfo(2, RegisterAccess.None, "")]);
        DescribePage describe = DescribePage.Read(Encode(page));
        Assert.That((describe.Total, describe.First), Is.EqualTo((page.Total, page.First)));
        Assert.That(describe.Registers, Is.EqualTo(page.Registers));

        var snapshot = new ConfigSnapshot(uint.MaxValue, [new ConfigEntry(0x80, int.MinValue), new ConfigEntry(0xFFFF, 1)]);
        ConfigSnapshot config = ConfigSnapshot.Read(Encode(snapshot));
        Assert.That(config.Version, Is.EqualTo(snapshot.Version));
        Assert.That(config.Entries, Is.EqualTo(snapshot.Entries));

        var set = new ConfigSetRequest(3, 17, [new ConfigEntry(0x81, -1)]);
        ConfigSetRequest parsedSet = ConfigSetRequest.Read(Encode(set));
        Assert.That((parsedSet.Slot, parsedSet.ExpectedVersion), Is.EqualTo((set.Slot, set.ExpectedVersion)));
        Assert.That(parsedSet.Entries, Is.EqualTo(set.Entries));

        var subscribe = new SubscribeRequest(2, 0x0304, 5, 60000, SubscribeMode.OnChange);
        Assert.That(SubscribeRequest.Read(Encode(subscribe)), Is.EqualTo(subscribe));
        Assert.That(ReadRequest.Read(Encode(new ReadRequest(2, 0xABCD, 255))), Is.EqualTo(new ReadRequest(2, 0xABCD, 255)));
        Assert.That(HelloRequest.Read(Encode(new HelloRequest(1, 65535))), Is.EqualTo(new HelloRequest(1, 65535)));
        Assert.That(DescribeRequest.Read(Encode(new DescribeRequest(7, 200))), Is.EqualTo(new DescribeRequest(7, 200)));
        Assert.That(WriteRequest.Read(Encode(new WriteRequest(1, 2, new[] { int.MaxValue, -7 }))).Values.ToArray(), Is.EqualTo(new[] { int.MaxValue, -7 }));

        int[] values = new int[2];
        Int32Values.Read(Encode(new Int32Values(new[] { 11, -12 })), values, "READ response");
        Assert.That(values, Is.EqualTo(new[] { 11, -12 }));
    }

    private static byte[] Encode<T>(T payload)
        where T : IFramePayload
    {
        byte[] buffer = new byte[payload.MaxLength];
        int written = payload.WriteTo(buffer);
        return buffer[..written];
    }

    private static async Task ExpectAsync(RawPeer device, byte command, byte[] body, byte[] answer)
    {
        RawFrame request = await device.ReadFrameAsync();
        Assert.That(request.Command, Is.EqualTo(command), McpCommand.GetName(command));
        Assert.That(request.Body, Is.EqualTo(body), $"{McpCommand.GetName(command)} request body");
        await device.ReplyAsync(request, 0, answer);
    }
}
