using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

public class ReconnectingLinkTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Test]
    public async Task Gives_up_after_the_attempt_limit_and_fails_waiters()
    {
        var time = new FakeTimeProvider();
        var connector = new DeviceConnector(time, refusals: int.MaxValue);
        await using var link = new ReconnectingLink(connector, new ReconnectingLinkOptions
        {
            Connection = new FrameConnectionOptions { TimeProvider = time },
            Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero, MaxAttempts = 3 },
        });
        var faulted = new TaskCompletionSource<LinkStateChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        link.StateChanged += (_, c) =>
        {
            if (c.Current == LinkState.Faulted)
            {
                faulted.TrySetResult(c);
            }
        };
        link.Start();
        LinkStateChange change = await faulted.Task.WaitAsync(Bound);
        Assert.That(connector.Attempts, Is.EqualTo(3));
        Assert.That(change.Reason, Does.Contain("gave up").And.Contain("3 failed attempts").And.Contain("connection refused"));
        var ex = Assert.ThrowsAsync<ConnectionClosedException>(async () => await link.GetConnectionAsync());
        Assert.That(ex!.Message, Does.Contain("devices").And.Contain("Faulted"));
    }

    [Test]
    public async Task Requests_while_down_fail_fast_or_wait_for_their_deadline_by_option()
    {
        var time = new FakeTimeProvider();
        var never = new DeviceConnector(time, refusals: int.MaxValue);
        await using (var failFast = new ReconnectingLink(never, new ReconnectingLinkOptions
        {
            Connection = new FrameConnectionOptions { TimeProvider = time },
            Backoff = new BackoffPolicy { Initial = TimeSpan.FromSeconds(1), Maximum = TimeSpan.FromSeconds(1) },
            FailFastWhenDown = true,
        }))
        {
            failFast.Start();
            var ex = Assert.ThrowsAsync<ConnectionClosedException>(async () => await failFast.GetConnectionAsync());
            Assert.That(ex!.Message, Does.Contain("is down"));
        }

        await using var waiting = new ReconnectingLink(never, new ReconnectingLinkOptions
        {
            Connection = new FrameConnectionOptions { TimeProvider = time },
            Backoff = new BackoffPolicy { Initial = TimeSpan.FromSeconds(1), Maximum = TimeSpan.FromSeconds(1) },
        });
        waiting.Start();
        Task<FrameConnection> wait = waiting.GetConnectionAsync(TimeSpan.FromMilliseconds(500)).AsTask();
        Assert.That(wait.IsCompleted, Is.False, "waits while the link is down");
        time.Advance(TimeSpan.FromMilliseconds(500));
        var timeout = Assert.ThrowsAsync<RequestTimeoutException>(async () => await wait.WaitAsync(Bound));
        Assert.That(timeout!.Message, Does.Contain("did not come up within 500 ms"));
    }

    [Test]
    public async Task Session_reopens_with_hello_reports_the_reboot_and_resubscribes_after_the_link_breaks()
    {
        var connector = new DeviceConnector(TimeProvider.System);
        await using var session = new McpSession(connector, new McpSessionOptions
        {
            Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(1), Maximum = TimeSpan.FromMilliseconds(5) } },
        });
        var rebooted = new TaskCompletionSource<DeviceRebootedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Rebooted += (_, e) => rebooted.TrySetResult(e);
        session.Start();
        await session.GetClientAsync().WaitAsync(Bound);
        Assert.That(session.Device!.DeviceId, Is.EqualTo("mini"));

        ResilientSubscription subscription = session.Subscribe(new SubscribeRequest(1, 0, 1, 100, SubscribeMode.Periodic));
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();
        Assert.That(connector.Devices.TryPeek(out MiniDevice? first), Is.True);
        await first!.WaitForSubscriptionsAsync(1).WaitAsync(Bound);

        await first.PublishAsync(1);
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Bound), Is.True);
        Assert.That(events.Current[0], Is.EqualTo(1));

        // The cable is cut: the session must come back on a new connection by itself.
        ((InMemoryTransport)first.Transport).Break();

        DeviceRebootedEventArgs reboot = await rebooted.Task.WaitAsync(Bound);
        Assert.That(reboot.Current.BootId, Is.Not.EqualTo(reboot.Previous.BootId));
        MiniDevice second = connector.Devices.Last();
        await second.WaitForSubscriptionsAsync(1).WaitAsync(Bound);
        await second.PublishAsync(2);
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Bound), Is.True);
        Assert.That(events.Current[0], Is.EqualTo(2));
        Assert.That(subscription.Resubscriptions, Is.EqualTo(1));
        Assert.That(connector.Attempts, Is.EqualTo(2));
    }

    [Test]
    public async Task Server_killed_mid_stream_over_tcp_client_reconnects_and_its_subscription_delivers_again()
    {
        int port = 0;
        var devices = Channel.CreateUnbounded<MiniDevice>();
        TcpTransportListener listener = StartServer(devices, out port);
        var connector = new SwitchablePortConnector(() => Volatile.Read(ref port));
        await using var session = new McpSession(connector, new McpSessionOptions
        {
            Link = new ReconnectingLinkOptions { Backoff = new BackoffPolicy { Initial = TimeSpan.FromMilliseconds(5), Maximum = TimeSpan.FromMilliseconds(50) } },
            WaitForLink = Bound,
        });
        session.Start();
        await session.GetClientAsync().WaitAsync(Bound);
        ResilientSubscription subscription = session.Subscribe(new SubscribeRequest(1, 0, 1, 10, SubscribeMode.Periodic));
        await using IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync().GetAsyncEnumerator();
        MiniDevice first = await DequeueAsync(devices);
        await first.WaitForSubscriptionsAsync(1).WaitAsync(Bound);
        for (int i = 0; i < 3; i++)
        {
            await first.PublishAsync(i);
            Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Bound), Is.True);
            Assert.That(events.Current[0], Is.EqualTo(i));
        }

        // Kill the server: listener and connection go away mid-stream; a new server starts on another port.
        await listener.DisposeAsync();
        await first.DisposeAsync();
        int oldPort = port;
        TcpTransportListener second = StartServer(devices, out int newPort);
        Volatile.Write(ref port, newPort);
        try
        {
            MiniDevice revived = await DequeueAsync(devices);
            await revived.WaitForSubscriptionsAsync(1).WaitAsync(Bound);
            await revived.PublishAsync(42);
            Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(Bound), Is.True);
            Assert.That(events.Current[0], Is.EqualTo(42));
            Assert.That(subscription.Resubscriptions, Is.EqualTo(1));
            Assert.That(newPort, Is.Not.EqualTo(0).And.Not.EqualTo(oldPort));
        }
        finally
        {
            await second.DisposeAsync();
            while (devices.Reader.TryRead(out MiniDevice? d))
            {
                await d.DisposeAsync();
            }
        }
    }

    private static TcpTransportListener StartServer(Channel<MiniDevice> devices, out int port)
    {
        var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0));
        port = listener.LocalEndPoint.Port;
        _ = Task.Run(async () =>
        {
            uint boot = 1;
            while (true)
            {
                ITransport transport;
                try
                {
                    transport = await listener.AcceptAsync();
                }
                catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or TransportException or InvalidOperationException)
                {
                    return;
                }

                devices.Writer.TryWrite(new MiniDevice(transport, boot++, TimeProvider.System));
            }
        });
        return listener;
    }

    private static async Task<MiniDevice> DequeueAsync(Channel<MiniDevice> devices) =>
        await devices.Reader.ReadAsync().AsTask().WaitAsync(Bound);

    private sealed class SwitchablePortConnector(Func<int> port) : ITransportConnector
    {
        public string Name => $"tcp 127.0.0.1:{port()}";

        public ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default) =>
            new TcpTransportConnector("127.0.0.1", port(), connectTimeout: TimeSpan.FromSeconds(2)).ConnectAsync(cancellationToken);
    }
}
