using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>What a hostile or stuck peer, and out-of-range settings, cannot do to the TCP and TLS transports.</summary>
[CancelAfter(60_000)]
public class TcpTransportLimitsTests : TransportTest
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private X509Certificate2 _server = null!;

    [OneTimeSetUp]
    public void MakeCertificate() => _server = TestCertificates.CreateServer();

    [OneTimeTearDown]
    public void DisposeCertificate() => _server.Dispose();

    [Test]
    public void Timeouts_beyond_what_a_timer_holds_are_refused_naming_them()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        ArgumentOutOfRangeException connect = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TcpTransportConnector("127.0.0.1", 1, connectTimeout: TimeSpan.FromDays(60)))!;
        ArgumentOutOfRangeException handshake = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TcpTransportListener(endpoint, ServerOptions(), handshakeTimeout: TimeSpan.FromDays(60)))!;
        Assert.Multiple(() =>
        {
            Assert.That(connect.ParamName, Is.EqualTo("connectTimeout"));
            Assert.That(connect.Message, Does.Contain("at most 24 days").And.Contain("60.00:00:00 was given"));
            Assert.That(handshake.ParamName, Is.EqualTo("handshakeTimeout"));
        });
        Assert.DoesNotThrow(() => _ = new TcpTransportConnector("127.0.0.1", 1, connectTimeout: Timeout.InfiniteTimeSpan));
    }

    [Test]
    public async Task A_tls_listener_nobody_accepts_from_stops_accepting_like_a_plain_one()
    {
        const int Clients = 150;
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions());
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(), TimeSpan.FromSeconds(3));

        async Task<ITransport?> TryConnect()
        {
            try
            {
                return await connector.ConnectAsync();
            }
            catch (TransportException)
            {
                return null; // not served: the handshake could not complete within 3 s
            }
        }

        ITransport?[] clients = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => TryConnect())).WaitAsync(Limit);
        try
        {
            int served = clients.Count(c => c is not null);
            Assert.That(served, Is.LessThanOrEqualTo(64 + TcpTransportListener.MaxPendingHandshakes), "TLS connections the listener took with nobody calling AcceptAsync: the queue and the handshakes in progress");
            Assert.That(served, Is.GreaterThanOrEqualTo(64), "the queue itself is served");
        }
        finally
        {
            foreach (ITransport? c in clients)
            {
                if (c is not null)
                {
                    await c.DisposeAsync();
                }
            }
        }
    }

    // TcpTransport.SendAsync (several blocks): _socket.SendAsync(_gather, flags).WaitAsync(token). That overload has no
    // token; when disposal cancels a send stuck on a peer that does not read, WaitAsync gives up but the socket send
    // stays pending, then faults when CloseDeviceAsync disposes the socket, and nobody observes that task.

    [Test]
    public async Task A_listener_whose_accepting_fails_for_good_tells_every_AcceptAsync_logs_once_and_still_disposes()
    {
        var logs = new CapturingLogger<TcpTransportListener>();
        var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), logger: logs);
        ValueTask<ITransport> pending = listener.AcceptAsync();

        // shutdown(2) on a listening socket makes accept(2) fail with EINVAL: not a shortage that passes.
        listener.ListenSocket.Shutdown(SocketShutdown.Receive);

        var failure = Assert.ThrowsAsync<TransportException>(async () => await pending.AsTask().WaitAsync(Limit))!;
        Assert.That(failure.Message, Does.StartWith($"{listener.Name}: accepting failed: "));
        var later = Assert.ThrowsAsync<TransportException>(async () => await listener.AcceptAsync().AsTask().WaitAsync(Limit))!;
        Assert.That(later.Message, Is.EqualTo(failure.Message), "a later call learns the same");
        LogEntry logged = await logs.WaitForAsync(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error).WaitAsync(Limit); // written after the queue is failed
        Assert.That(logged.Message, Does.StartWith($"{listener.Name}: accepting failed; the listener stops: ").And.Not.Contain("accepting failed: "));

        await listener.DisposeAsync().AsTask().WaitAsync(Limit);
        Assert.That(logs.Entries.Count(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error), Is.EqualTo(1));
    }

    [Test]
    public async Task Disposing_a_link_whose_gathering_send_is_stuck_leaves_no_unobserved_task_exception()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        peer.Listen(1);
        var connector = new TcpTransportConnector("127.0.0.1", ((IPEndPoint)peer.LocalEndPoint!).Port);
        Task<Socket> acceptedTask = peer.AcceptAsync();
        ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        using Socket accepted = await acceptedTask.WaitAsync(Limit); // never reads

        // Multi-block flushes (each 192 KiB = 3 pipe blocks) until Output stops taking bytes: the send loop is then
        // inside a gathering send the kernel cannot take.
        byte[] chunk = new byte[192 * 1024];
        using var stuck = new CancellationTokenSource();
        long written = 0;
        while (true)
        {
            Task<FlushResult> flush = client.Output.WriteAsync(chunk, stuck.Token).AsTask();
            if (await Task.WhenAny(flush, Task.Delay(TimeSpan.FromSeconds(1))) != flush)
            {
                // Output paused for a second with nobody reading at the peer: the send loop is stuck in the kernel.
                stuck.Cancel();
                Assert.ThrowsAsync<OperationCanceledException>(async () => await flush.WaitAsync(Limit));
                break;
            }

            await flush;
            written += chunk.Length;
            Assert.That(written, Is.LessThan(512L * 1024 * 1024), "the peer's kernel never stopped taking bytes");
        }

        var unobserved = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        EventHandler<UnobservedTaskExceptionEventArgs> watch = (_, e) => unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += watch;
        try
        {
            await client.DisposeAsync().AsTask().WaitAsync(Limit);

            // Bounded look for the abandoned send's fault (it surfaces when its task is finalized).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (unobserved.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Task.Delay(20);
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= watch;
        }

        Assert.That(unobserved.Select(e => (e.InnerException ?? e).ToString()), Is.Empty, "unobserved task exceptions after disposing the link");
    }

    private SslServerAuthenticationOptions ServerOptions() => new() { ServerCertificate = _server };

    private SslClientAuthenticationOptions ClientOptions()
    {
        string pinned = TestCertificates.Sha256(_server);
        return new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == pinned,
        };
    }
}
