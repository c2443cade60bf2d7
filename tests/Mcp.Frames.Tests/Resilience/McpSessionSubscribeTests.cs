using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>How a session makes its subscriptions: once per connection, and again when a SUBSCRIBE goes unanswered.</summary>
public class McpSessionSubscribeTests : GuardedTest
{
    [Test]
    public async Task A_subscription_added_while_a_session_opens_is_subscribed_once()
    {
        var clock = new TestClock();
        var connector = new OrderedDeviceConnector(clock);
        Defer(connector.DisposeDevicesAsync);
        McpSession session = Track(TestSessions.Create(connector, clock, Logs));
        ResilientSubscription? added = null;
        session.Rebooted += (_, _) => added = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        var log = new LinkStateLog(session.Link);
        session.Start();
        await log.NextAsync(LinkState.Connected);

        connector.Devices.Last().Break(); // the next device has another boot id: Rebooted is raised during HELLO
        await log.NextAsync(LinkState.Connected);
        OrderedDevice second = connector.Devices.Last();

        // The device handles one request at a time, in order: once this PING is answered, every SUBSCRIBE sent
        // before it has been handled.
        await session.InvokeAsync((c, ct) => c.PingAsync(cancellationToken: ct)).Within();

        Assert.That(added, Is.Not.Null);
        Assert.That(second.Subscribes, Is.EqualTo(1), "one SUBSCRIBE for one subscription on one connection");
        Assert.That(added!.Resubscriptions, Is.Zero, "it was never re-subscribed: there was no reconnect since it was made");
    }

    [Test]
    public async Task A_subscribe_on_an_open_link_that_gets_no_answer_is_sent_again_on_the_same_connection()
    {
        (TestClock clock, DeviceConnector connector, McpSession session, McpClient client) = await StartSessionAsync();
        MiniDevice device = connector.LastDevice;
        lock (device.Gate)
        {
            device.SubscribesToHang = 1;
        }

        TimeSpan timeout = new FrameConnectionOptions().RequestTimeout;
        int armed = clock.ArmedCount(timeout);
        ResilientSubscription subscription = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();
        Task<bool> first = events.MoveNextAsync().AsTask();
        await device.WaitForHungSubscribeAsync().Within();
        await clock.WaitForArmedAsync(timeout, armed + 1); // the SUBSCRIBE's timeout is running
        clock.Advance(timeout);

        // Sent again at once, on the same connection: the device makes it, and its events arrive.
        await device.WaitForSubscriptionsAsync(1).Within();
        await device.PublishAsync(7);
        Assert.That(await first.Within(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(events.Current[0], Is.EqualTo(7));
            Assert.That(session.CurrentClient?.Connection, Is.SameAs(client.Connection), "no reconnect");
            Assert.That(connector.Attempts, Is.EqualTo(1));
            Assert.That(subscription.Resubscriptions, Is.Zero);
        });
    }

    [Test]
    public async Task A_subscribe_left_unanswered_again_and_again_is_sent_after_the_link_backoff_not_once_per_timeout()
    {
        var clock = new TestClock();
        var connector = new DeviceConnector(clock);
        Defer(connector.DisposeDevicesAsync);
        TimeSpan first = TimeSpan.FromSeconds(5), cap = TimeSpan.FromSeconds(7); // pauses 5 s, then 7 s (10 s capped)
        McpSession session = Track(new McpSession(connector, new McpSessionOptions
        {
            Link = new ReconnectingLinkOptions
            {
                Connection = new FrameConnectionOptions { TimeProvider = clock, LoggerFactory = Logs },
                Backoff = new BackoffPolicy { Initial = first, Maximum = cap },
            },
            WaitForLink = Bounded.Timeout,
        }));
        session.Start();
        McpClient client = await session.GetClientAsync().Within();
        MiniDevice device = connector.LastDevice;
        lock (device.Gate)
        {
            device.SubscribesToHang = 3;
        }

        TimeSpan timeout = new FrameConnectionOptions().RequestTimeout;
        ResilientSubscription subscription = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));

        // Attempt 1 times out: attempt 2 at once (a lost frame is the likely cause). A SUBSCRIBE's timeout runs once
        // the device has it (the timer is armed before the frame is sent).
        await device.WaitForHungSubscribeAsync().Within();
        clock.Advance(timeout);

        // Attempts 2 and 3 time out: each is followed by a pause of the link's backoff cap before the next.
        foreach (TimeSpan pause in new[] { first, cap })
        {
            await device.WaitForHungSubscribeAsync().Within();
            int pauses = clock.ArmedCount(pause);
            clock.Advance(timeout);
            await clock.WaitForArmedAsync(pause, pauses + 1);
            clock.Advance(pause);
        }

        await device.WaitForSubscriptionsAsync(1).Within(); // attempt 4, after the second, is made
        await device.PublishAsync(3);
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();
        Assert.That(await events.MoveNextAsync().AsTask().Within(), Is.True);
        string[] warnings = [.. Logs.Entries.Where(e => e.EventId.Id == 103).Select(e => e.Message)];
        Assert.Multiple(() =>
        {
            Assert.That(events.Current[0], Is.EqualTo(3));
            Assert.That(session.CurrentClient?.Connection, Is.SameAs(client.Connection), "no reconnect");
            Assert.That(warnings, Has.Length.EqualTo(3));
            Assert.That(warnings.Select(w => w[(w.IndexOf("again in ", StringComparison.Ordinal) + 9)..w.IndexOf(" ms:", StringComparison.Ordinal)]), Is.EqualTo(new[] { "0", "5000", "7000" }));
        });
    }

    [Test]
    public async Task A_subscribe_the_device_refuses_is_logged_with_its_status_and_the_session_stays_up()
    {
        (TestClock clock, DeviceConnector connector, McpSession session, McpClient client) = await StartSessionAsync();
        connector.LastDevice.RefuseSubscribes = true;

        ResilientSubscription subscription = session.Subscribe(new SubscribeRequest(9, 0, 1, 100, SubscribeMode.Periodic));
        await Bounded.UntilAsync(() => Logs.Entries.Any(e => e.EventId.Id == 107), "the refusal is logged");

        await client.PingAsync().Within(); // the session's connection still works
        string[] warnings = [.. Logs.Entries.Where(e => e.EventId.Id == 107).Select(e => e.Message)];
        Assert.Multiple(() =>
        {
            Assert.That(warnings, Has.Length.EqualTo(1));
            Assert.That(subscription.LastRefusal?.Status, Is.EqualTo((byte)McpStatus.NoSuchModule));
            Assert.That(warnings[0], Does.Contain("refused SUBSCRIBE").And.Contain("NO_SUCH_MODULE").And.Contain("no module in that slot"));
            Assert.That(session.CurrentClient?.Connection, Is.SameAs(client.Connection));
        });
    }

    [Test]
    public async Task A_subscription_disposed_while_the_link_is_down_is_released_when_it_connects_to_the_same_boot()
    {
        var clock = new TestClock();
        var connector = new DeviceConnector(clock, sameBoot: true);
        Defer(connector.DisposeDevicesAsync);
        McpSession session = Track(TestSessions.Create(connector, clock, Logs));
        var log = new LinkStateLog(session.Link);
        session.Start();
        await session.GetClientAsync().Within();
        ResilientSubscription kept = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        ResilientSubscription dropped = session.Subscribe(new SubscribeRequest(1, 1, 1, 100, SubscribeMode.Periodic));
        MiniDevice first = connector.LastDevice;
        await first.WaitForSubscriptionsAsync(2).Within();
        byte keptId = await IdOfAsync(kept).Within();
        byte droppedId = await IdOfAsync(dropped).Within();

        // The link goes down and stays down while one subscription is disposed.
        connector.Refusing = true;
        ((InMemoryTransport)first.Transport).Break();
        await log.NextAsync(LinkState.Reconnecting);
        await dropped.DisposeAsync().Within();
        Assert.That(first.Unsubscribes, Is.Empty, "nothing could be sent: the link is down");

        connector.Refusing = false;
        await log.NextAsync(LinkState.Connected);
        MiniDevice second = connector.LastDevice;
        await second.WaitForSubscriptionsAsync(1).Within();
        Assert.Multiple(() =>
        {
            Assert.That(second.Unsubscribes, Is.EquivalentTo(new[] { keptId, droppedId }), "both ids of the previous connection released first");
            Assert.That(second.SubscriptionCount, Is.EqualTo(1), "only the kept subscription is made again");
        });
    }

    /// <summary>A started session on a fake clock, connected to its first <see cref="MiniDevice"/>.</summary>
    private async Task<(TestClock Clock, DeviceConnector Connector, McpSession Session, McpClient Client)> StartSessionAsync()
    {
        var clock = new TestClock();
        var connector = new DeviceConnector(clock);
        Defer(connector.DisposeDevicesAsync);
        McpSession session = Track(TestSessions.Create(connector, clock, Logs));
        session.Start();
        return (clock, connector, session, await session.GetClientAsync().Within());
    }

    /// <summary>The subscription's id, once the session has taken the device's answer (on its own task).</summary>
    private static async Task<byte> IdOfAsync(ResilientSubscription subscription)
    {
        byte? id;
        while ((id = subscription.LastSubscriptionId) is null)
        {
            await Task.Yield();
        }

        return id.Value;
    }

    /// <summary>Each connect opens a new <see cref="OrderedDevice"/> with the next boot id.</summary>
    private sealed class OrderedDeviceConnector(TimeProvider time) : ITransportConnector
    {
        private uint _boot = 500;

        public List<OrderedDevice> Devices { get; } = [];

        public string Name => "ordered";

        public ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
        {
            (InMemoryTransport client, InMemoryTransport device) = InMemoryTransport.CreatePair("gateway", "ordered device");
            lock (Devices)
            {
                Devices.Add(new OrderedDevice(device, ++_boot, time));
            }

            return new ValueTask<ITransport>(client);
        }

        public async ValueTask DisposeDevicesAsync()
        {
            foreach (OrderedDevice d in Devices)
            {
                await d.Connection.DisposeAsync();
            }
        }
    }

    /// <summary>An MCP/1 device that handles one request at a time, in arrival order; counts SUBSCRIBEs.</summary>
    private sealed class OrderedDevice
    {
        private readonly InMemoryTransport _transport;
        private int _subscribes;

        public OrderedDevice(InMemoryTransport transport, uint bootId, TimeProvider time)
        {
            _transport = transport;
            Connection = new FrameConnection(transport, options: new FrameConnectionOptions { Name = "ordered device", TimeProvider = time, HandlerConcurrency = 1 });
            Connection.MapRequestHandler(McpCommand.Hello, (req, ct) => req.ReplyOkAsync(new DeviceInfo
            {
                ProtocolVersion = 1,
                MaxPayload = 256,
                DeviceId = "ordered",
                Firmware = new Version(1, 0, 0),
                BootId = bootId,
                Modules = [new ModuleInfo(1, 7, 1, "values")],
            }, ct));
            Connection.MapRequestHandler(McpCommand.Subscribe, (req, ct) =>
            {
                byte id = (byte)Interlocked.Increment(ref _subscribes);
                return req.ReplyOkAsync(InlinePayload.FromByte(id), ct);
            });
            Connection.MapRequestHandler(McpCommand.Unsubscribe, (req, ct) => req.ReplyOkAsync(ct));
            Connection.Start();
        }

        public FrameConnection Connection { get; }

        public int Subscribes => Volatile.Read(ref _subscribes);

        public void Break() => _transport.Break();
    }
}
