using System.Collections.Concurrent;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

[TestFixture]
[CancelAfter(30_000)]
public class McpSessionOptionsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Test]
    public async Task One_options_instance_serves_two_sessions_each_with_its_own_hello_and_subscriptions()
    {
        var hooked = new ConcurrentBag<FrameConnection>();
        var shared = new McpSessionOptions
        {
            Link = new ReconnectingLinkOptions
            {
                OnConnected = (connection, _) =>
                {
                    hooked.Add(connection);
                    return Task.CompletedTask;
                },
            },
        };
        Func<FrameConnection, CancellationToken, Task>? userHook = shared.Link.OnConnected;
        var connectorA = new DeviceConnector(TimeProvider.System, name: "link a", bootIdBase: 100);
        var connectorB = new DeviceConnector(TimeProvider.System, name: "link b", bootIdBase: 200);

        await using var sessionA = new McpSession(connectorA, shared);
        await using var sessionB = new McpSession(connectorB, shared);
        Assert.That(shared.Link.OnConnected, Is.SameAs(userHook), "the caller's options are left as they were");

        sessionA.Start();
        McpClient clientA = await sessionA.GetClientAsync().WaitAsync(Bound);
        ResilientSubscription subscription = sessionA.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        Assert.That(connectorA.Devices.TryPeek(out MiniDevice? deviceA), Is.True);
        await deviceA!.WaitForSubscriptionsAsync(1).WaitAsync(Bound);

        sessionB.Start();
        McpClient clientB = await sessionB.GetClientAsync().WaitAsync(Bound);
        Assert.That(connectorB.Devices.TryPeek(out MiniDevice? deviceB), Is.True);

        // Session B's connection opens with B's HELLO and B's (no) subscriptions, not A's.
        Assert.Multiple(() =>
        {
            Assert.That(sessionA.Device!.BootId, Is.EqualTo(101));
            Assert.That(sessionB.Device!.BootId, Is.EqualTo(201));
            Assert.That(deviceB!.SubscriptionCount, Is.Zero, "session A's subscription went to session B's device");
            Assert.That(deviceA.SubscriptionCount, Is.EqualTo(1));
            Assert.That(subscription.Resubscriptions, Is.Zero);
            Assert.That(hooked, Is.EquivalentTo(new[] { clientA.Connection, clientB.Connection }), "the user's hook, once per connection");
        });

        await deviceA.PublishAsync(7);
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Bound), Is.True);
        Assert.That(events.Current[0], Is.EqualTo(7));
    }

    [Test]
    public void Options_without_link_settings_are_refused_naming_them()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new McpSession(new DeviceConnector(TimeProvider.System), new McpSessionOptions { Link = null! }));
        Assert.That(error!.Message, Does.Contain("McpSessionOptions.Link"));
    }
}
