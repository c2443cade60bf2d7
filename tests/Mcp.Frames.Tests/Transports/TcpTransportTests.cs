using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Mcp.Frames.Framing;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

[TestFixture]
[CancelAfter(60_000)]
public class TcpTransportTests : TransportTest
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static IPEndPoint AnyLoopbackPort => new(IPAddress.Loopback, 0);

    [Test]
    public async Task Listener_binds_port_zero_and_reports_the_real_port()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);

        Assert.That(listener.LocalEndPoint.Port, Is.GreaterThan(0));
        Assert.That(listener.LocalEndPoint.Address, Is.EqualTo(IPAddress.Loopback));
        Assert.That(listener.Name, Is.EqualTo($"tcp listener 127.0.0.1:{listener.LocalEndPoint.Port}"));
    }

    [Test]
    public async Task Frames_flow_both_ways()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        (ITransport connected, ITransport accepted) = await ConnectPairAsync(listener);
        await using ITransport client = connected;
        await using ITransport server = accepted;

        Assert.That(client.Name, Is.EqualTo($"tcp 127.0.0.1:{listener.LocalEndPoint.Port}"));
        Assert.That(server.Name, Does.StartWith("tcp 127.0.0.1:"));
        Assert.That(client.StallTimeout, Is.Null);
        Assert.That(server.StallTimeout, Is.Null);

        Task<FrameCheck> atServer = FrameTraffic.ReadAsync(server.Input, expected: 500, stream: 1);
        Task<FrameCheck> atClient = FrameTraffic.ReadAsync(client.Input, expected: 300, stream: 2);
        await Task.WhenAll(
            FrameTraffic.WriteAsync(client.Output, 500, stream: 1),
            FrameTraffic.WriteAsync(server.Output, 300, stream: 2)).WaitAsync(Limit);

        FrameCheck serverSaw = await atServer.WaitAsync(Limit);
        FrameCheck clientSaw = await atClient.WaitAsync(Limit);
        AssertClean(serverSaw, 500);
        AssertClean(clientSaw, 300);
    }

    [Test]
    public async Task An_answer_is_sent_from_the_flushing_thread_and_a_stream_of_flushes_through_the_send_loop()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        (ITransport connected, ITransport accepted) = await ConnectPairAsync(listener);
        await using ITransport client = connected;
        await using ITransport server = accepted;
        var a = (TcpTransport)client;
        var b = (TcpTransport)server;

        // One way, nothing received in between: every flush goes through the send loop (which coalesces a burst).
        byte[] chunk = new byte[4096];
        for (int i = 0; i < 50; i++)
        {
            await client.Output.WriteAsync(chunk).AsTask().WaitAsync(Limit);
        }

        await ReceiveAsync(server.Input, 50 * chunk.Length);
        Assert.That(a.InlineSends, Is.Zero, "a stream of flushes with nothing received");

        // Ping-pong: each side answers what it just received, so each answer leaves from the flushing thread.
        const int Rounds = 20;
        byte[] message = [0x5A, 0x01, 0x00, 0x00, 0x01];
        for (int i = 0; i < Rounds; i++)
        {
            await client.Output.WriteAsync(message).AsTask().WaitAsync(Limit);
            await ReceiveAsync(server.Input, message.Length);
            await server.Output.WriteAsync(message).AsTask().WaitAsync(Limit);
            await ReceiveAsync(client.Input, message.Length);
        }

        // The client's first request goes through the send loop on the thread pool; if that thread is preempted before
        // it waits again, the next request finds it running and is sent from there without a hand-over at all, so
        // one inline send may be missing on either side.
        Assert.Multiple(() =>
        {
            Assert.That(b.InlineSends, Is.InRange(Rounds - 1, Rounds), "every answer of the server");
            Assert.That(a.InlineSends, Is.InRange(Rounds - 2, Rounds - 1), "every request of the client after the first answer");
        });
    }

    [Test]
    public async Task Both_ends_have_nagle_off_and_tcp_keep_alive_on_with_the_documented_timing()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        (ITransport connected, ITransport accepted) = await ConnectPairAsync(listener);
        await using ITransport client = connected;
        await using ITransport server = accepted;

        foreach ((string end, Socket socket) in new[] { ("connector", ((TcpTransport)client).Socket), ("listener", ((TcpTransport)server).Socket) })
        {
            Assert.Multiple(() =>
            {
                Assert.That(socket.NoDelay, Is.True, $"{end}: NoDelay");
                Assert.That((int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!, Is.Not.Zero, $"{end}: KeepAlive");
                Assert.That((int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!, Is.EqualTo(30), $"{end}: keep-alive idle time (s)");
                Assert.That((int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!, Is.EqualTo(5), $"{end}: keep-alive interval (s)");
                Assert.That((int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!, Is.EqualTo(3), $"{end}: keep-alive probes");
            });
        }
    }

    /// <summary>A client connected to <paramref name="listener"/> (with <paramref name="tls"/>, over TLS) and the server end it accepted.</summary>
    internal static async Task<(ITransport Client, ITransport Server)> ConnectPairAsync(TcpTransportListener listener, System.Net.Security.SslClientAuthenticationOptions? tls = null)
    {
        ValueTask<ITransport> accepting = listener.AcceptAsync();
        ITransport client = await new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, tls).ConnectAsync().AsTask().WaitAsync(Limit);
        return (client, await accepting.AsTask().WaitAsync(Limit));
    }

    private static async Task ReceiveAsync(PipeReader input, int length)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(Limit);
            if (result.Buffer.Length >= length)
            {
                input.AdvanceTo(result.Buffer.GetPosition(length));
                return;
            }

            Assert.That(result.IsCompleted, Is.False, "the link ended");
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    [Test]
    public async Task Fifty_clients_exchange_frames_at_once()
    {
        const int Clients = 50;
        const int FramesEach = 40;
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        using var stop = new CancellationTokenSource(Limit);
        Task echoServer = RunEchoServerAsync(listener, Clients, stop.Token);

        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port);
        FrameCheck[] results = await Task.WhenAll(Enumerable.Range(0, Clients).Select(async i =>
        {
            await using ITransport client = await connector.ConnectAsync(stop.Token);
            Task<FrameCheck> echoes = FrameTraffic.ReadAsync(client.Input, FramesEach, stream: (byte)i, cancellationToken: stop.Token);
            await FrameTraffic.WriteAsync(client.Output, FramesEach, stream: (byte)i, framesPerFlush: 5, cancellationToken: stop.Token);
            return await echoes;
        })).WaitAsync(Limit);

        for (int i = 0; i < Clients; i++)
        {
            AssertClean(results[i], FramesEach, $"client {i}");
        }

        await echoServer.WaitAsync(Limit);
    }

    [Test]
    public async Task Peer_closing_completes_input_normally()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        ValueTask<ITransport> accepting = listener.AcceptAsync();
        await using ITransport client = await new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port).ConnectAsync();
        ITransport server = await accepting.AsTask().WaitAsync(Limit);

        await FrameTraffic.WriteAsync(server.Output, 3);
        await server.DisposeAsync();

        // The frames sent before the close still arrive; then the stream ends without an error.
        FrameCheck check = await FrameTraffic.ReadAsync(client.Input, expected: int.MaxValue).WaitAsync(Limit);
        Assert.That(check.Received, Is.EqualTo(3), check.ToString());
        Assert.That(check.Errors, Is.Empty);
    }

    [Test]
    public async Task Peer_completing_its_output_ends_our_input_and_our_output_still_works()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        (ITransport connected, ITransport accepted) = await ConnectPairAsync(listener);
        await using ITransport client = connected;
        await using ITransport server = accepted;

        await client.Output.CompleteAsync(); // half-close: FIN after everything written
        ReadResult end = await ReadToEndAsync(server.Input);
        Assert.That(end.IsCompleted, Is.True);

        await FrameTraffic.WriteAsync(server.Output, 5);
        FrameCheck check = await FrameTraffic.ReadAsync(client.Input, expected: 5).WaitAsync(Limit);
        AssertClean(check, 5);
    }

    [Test]
    public async Task Peer_reset_completes_input_with_a_transport_exception_naming_the_link()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        raw.Bind(AnyLoopbackPort);
        raw.Listen();
        int port = ((IPEndPoint)raw.LocalEndPoint!).Port;
        Task<Socket> accepted = raw.AcceptAsync();
        await using ITransport client = await new TcpTransportConnector("127.0.0.1", port).ConnectAsync();
        using Socket peer = await accepted.WaitAsync(Limit);

        peer.LingerState = new LingerOption(true, 0);
        peer.Close(); // RST

        var error = Assert.ThrowsAsync<TransportException>(async () => await ReadToEndAsync(client.Input).WaitAsync(Limit));
        Assert.That(error!.Message, Does.StartWith($"tcp 127.0.0.1:{port}: connection lost while receiving"));
        Assert.That(error.Message, Does.Contain("reset"));
    }

    [Test]
    public async Task Writing_after_a_reset_fails_with_the_same_reason()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        raw.Bind(AnyLoopbackPort);
        raw.Listen();
        int port = ((IPEndPoint)raw.LocalEndPoint!).Port;
        Task<Socket> accepted = raw.AcceptAsync();
        await using ITransport client = await new TcpTransportConnector("127.0.0.1", port).ConnectAsync();
        using (Socket peer = await accepted.WaitAsync(Limit))
        {
            peer.LingerState = new LingerOption(true, 0);
        }

        Assert.ThrowsAsync<TransportException>(async () => await ReadToEndAsync(client.Input).WaitAsync(Limit));
        var error = Assert.ThrowsAsync<TransportException>(async () => await client.Output.WriteAsync(new byte[] { 1, 2, 3 }));
        Assert.That(error!.Message, Does.StartWith($"tcp 127.0.0.1:{port}: connection lost"));
    }

    [Test]
    public async Task Connecting_where_nothing_listens_is_refused_with_a_clear_message()
    {
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            probe.Bind(AnyLoopbackPort);
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        var connector = new TcpTransportConnector("127.0.0.1", port, connectTimeout: TimeSpan.FromSeconds(5));
        var error = Assert.ThrowsAsync<TransportException>(async () => await connector.ConnectAsync());
        Assert.That(error!.Message, Is.EqualTo($"tcp 127.0.0.1:{port}: cannot connect: connection refused (is anything listening on that port?)"));
    }

    [Test]
    public async Task Disposing_the_listener_stops_accepting_and_closes_unclaimed_connections()
    {
        var listener = new TcpTransportListener(AnyLoopbackPort);
        await using ITransport client = await new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port).ConnectAsync();
        await listener.DisposeAsync().AsTask().WaitAsync(Limit);

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync());
        // The connection that was accepted but never taken is closed by the shutdown (or refused before that).
        ReadResult end;
        try
        {
            end = await ReadToEndAsync(client.Input).WaitAsync(Limit);
            Assert.That(end.IsCompleted, Is.True);
        }
        catch (TransportException)
        {
            // a reset is an equally valid way to learn that the listener is gone
        }
    }

    [Test]
    public async Task A_pending_accept_throws_when_the_listener_is_disposed()
    {
        var listener = new TcpTransportListener(AnyLoopbackPort);
        ValueTask<ITransport> pending = listener.AcceptAsync();

        await listener.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await pending.AsTask().WaitAsync(Limit));
    }

    [Test]
    public void Connector_rejects_bad_arguments()
    {
        Assert.Throws<ArgumentException>(() => _ = new TcpTransportConnector(" ", 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TcpTransportConnector("localhost", 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TcpTransportConnector("localhost", 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TcpTransportConnector("localhost", 1, connectTimeout: TimeSpan.Zero));
        var noTarget = Assert.Throws<ArgumentException>(() => _ = new TcpTransportConnector("localhost", 1, new System.Net.Security.SslClientAuthenticationOptions()));
        Assert.That(noTarget!.Message, Does.Contain("TargetHost"));
    }

    [Test]
    public async Task Disposing_a_transport_sends_what_was_written_first()
    {
        await using var listener = new TcpTransportListener(AnyLoopbackPort);
        ValueTask<ITransport> accepting = listener.AcceptAsync();
        ITransport client = await new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port).ConnectAsync();
        await using ITransport server = await accepting.AsTask().WaitAsync(Limit);

        await FrameTraffic.WriteAsync(client.Output, 200);
        var clock = Stopwatch.StartNew();
        await client.DisposeAsync();
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));

        FrameCheck check = await FrameTraffic.ReadAsync(server.Input, expected: int.MaxValue).WaitAsync(Limit);
        AssertClean(check, 200);
    }

    internal static void AssertClean(FrameCheck check, int expected, string? who = null)
    {
        string context = (who is null ? string.Empty : who + ": ") + check;
        Assert.Multiple(() =>
        {
            Assert.That(check.Received, Is.EqualTo(expected), context);
            Assert.That(check.Errors, Is.Empty, context);
            Assert.That(check.Counters.SkippedBytes, Is.Zero, context);
            Assert.That(check.Counters.BadChecksum, Is.Zero, context);
            Assert.That(check.Counters.Oversize, Is.Zero, context);
            Assert.That(check.Counters.Stalled, Is.Zero, context);
            Assert.That(check.Counters.Truncated, Is.Zero, context);
        });
    }

    /// <summary>Reads and discards until the stream ends (returns the last result) or fails (throws).</summary>
    internal static async Task<ReadResult> ReadToEndAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return result;
            }
        }
    }

    private static async Task RunEchoServerAsync(TcpTransportListener listener, int connections, CancellationToken cancellationToken)
    {
        var sessions = new List<Task>();
        for (int i = 0; i < connections; i++)
        {
            ITransport transport = await listener.AcceptAsync(cancellationToken);
            sessions.Add(EchoAsync(transport, cancellationToken));
        }

        await Task.WhenAll(sessions);
    }

    private static async Task EchoAsync(ITransport transport, CancellationToken cancellationToken)
    {
        await using (transport)
        {
            var reader = new FrameReader(transport.Input, new FrameParser());
            await foreach (Frame frame in reader.ReadAllAsync(cancellationToken))
            {
                FrameWriter.Write(transport.Output, frame.Command, frame.Payload.Span);
                await transport.Output.FlushAsync(cancellationToken);
            }
        }
    }
}
