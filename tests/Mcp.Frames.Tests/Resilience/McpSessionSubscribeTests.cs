using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>A subscription made while a session opens is made once on the new connection.</summary>
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
