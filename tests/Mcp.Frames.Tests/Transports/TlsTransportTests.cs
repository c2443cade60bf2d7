using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

[TestFixture]
[CancelAfter(60_000)]
public class TlsTransportTests : TransportTest
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private X509Certificate2 _server = null!;
    private X509Certificate2 _otherServer = null!;
    private X509Certificate2 _client = null!;

    [OneTimeSetUp]
    public void MakeCertificates()
    {
        _server = TestCertificates.CreateServer();
        _otherServer = TestCertificates.CreateServer("mcp-other-server");
        _client = TestCertificates.CreateClient();
    }

    [OneTimeTearDown]
    public void DisposeCertificates()
    {
        _server.Dispose();
        _otherServer.Dispose();
        _client.Dispose();
    }

    [Test]
    public async Task A_server_that_accepts_but_never_answers_the_handshake_is_named_as_such_not_as_a_connect_timeout()
    {
        using var plain = new TcpListener(IPAddress.Loopback, 0);
        plain.Start();
        Task<Socket> accepted = plain.AcceptSocketAsync();
        var connector = new TcpTransportConnector("127.0.0.1", ((IPEndPoint)plain.LocalEndpoint).Port, new SslClientAuthenticationOptions { TargetHost = "device" }, TimeSpan.FromSeconds(2));

        // One deadline covers the connect and the handshake: it must leave a loaded machine time to see the connect
        // complete, or the error names a connect timeout instead.
        var error = Assert.ThrowsAsync<TransportException>(async () => await connector.ConnectAsync());
        using Socket server = await accepted.WaitAsync(Limit);

        Assert.That(error!.Message, Does.Contain("connected, but the TLS handshake got no answer within 2 s").And.Contain("is the server speaking TLS?"));
    }

    [Test]
    public async Task Handshake_succeeds_with_a_pinned_self_signed_certificate_and_frames_flow()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: false));
        (ITransport connected, ITransport accepted) = await TcpTransportTests.ConnectPairAsync(listener, ClientOptions(pin: _server));
        await using ITransport client = connected;
        await using ITransport server = accepted;

        Assert.That(client.Name, Is.EqualTo($"tls 127.0.0.1:{listener.LocalEndPoint.Port}"));
        Assert.That(server.Name, Does.StartWith("tls 127.0.0.1:"));
        await ExchangeAsync(client, server);
    }

    [Test]
    public async Task A_logger_that_throws_neither_stops_the_listener_nor_escapes_its_constructor_or_disposal()
    {
        var logger = new ThrowingLogger<TcpTransportListener>();
        var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: false), logger: logger);

        // A client that does not speak TLS: its handshake fails, and the log of the refusal throws.
        using (var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await plain.ConnectAsync(listener.LocalEndPoint).WaitAsync(Limit);
            await plain.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray()).WaitAsync(Limit);
            await Bounded.UntilAsync(() => logger.Calls >= 2, "the refusal is logged (after the listening line)", Limit);
        }

        (ITransport connected, ITransport accepted) = await TcpTransportTests.ConnectPairAsync(listener, ClientOptions(pin: _server));
        await using (ITransport client = connected)
        await using (ITransport server = accepted)
        {
            await ExchangeAsync(client, server);
        }

        int before = logger.Calls;
        await listener.DisposeAsync().AsTask().WaitAsync(Limit);
        Assert.That(logger.Calls, Is.GreaterThan(before), "the stop was logged too, and that throw stayed inside");
    }

    [Test]
    public async Task Mutual_tls_succeeds_when_the_client_presents_the_pinned_certificate()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true));
        (ITransport connected, ITransport accepted) = await TcpTransportTests.ConnectPairAsync(listener, ClientOptions(pin: _server, certificate: _client));
        await using ITransport client = connected;
        await using ITransport server = accepted;

        await ExchangeAsync(client, server);
    }

    [Test]
    public async Task A_server_certificate_other_than_the_pinned_one_is_refused_with_a_clear_message()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: false));
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _otherServer));

        var error = Assert.ThrowsAsync<TransportException>(async () => await connector.ConnectAsync().AsTask().WaitAsync(Limit));

        Assert.That(error!.Message, Is.EqualTo(
            $"tls 127.0.0.1:{listener.LocalEndPoint.Port}: TLS handshake failed: The remote certificate was rejected by the provided RemoteCertificateValidationCallback."));
    }

    [TestCase(SslProtocols.Tls12)]
    [TestCase(SslProtocols.Tls13)]
    public async Task A_missing_client_certificate_is_refused_and_both_sides_say_why(SslProtocols protocol)
    {
        var serverLog = new CapturingLogger<TcpTransportListener>();
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true, protocol), logger: serverLog);
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server, protocol: protocol));
        int port = listener.LocalEndPoint.Port;

        // SslStream's server checks the client's certificate after the TLS handshake proper and then just closes, so
        // the client's ConnectAsync succeeds (TLS 1.2 and 1.3 alike) and its link ends before a single byte.
        await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        var error = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(client.Input).WaitAsync(Limit));
        Assert.That(error!.Message, Is.EqualTo(
            $"tls 127.0.0.1:{port}: the server closed the TLS connection after the handshake without sending anything: it may have refused this client's certificate (none presented, or not one the server accepts); the server's log says why."));

        // The server refuses with a message that names the client, the listener and the reason.
        LogEntry refused = await serverLog.WaitForAsync(e => e.Exception is TransportException).WaitAsync(Limit);
        Assert.That(refused.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(refused.Exception!.Message, Does.Match($@"^tls 127\.0\.0\.1:\d+ \(on tls listener 127\.0\.0\.1:{port}\): TLS handshake failed: "));
        Assert.That(refused.Exception.Message, Does.Contain("This server requires a client certificate (ClientCertificateRequired): the client presented none"));
        Assert.That(listener.LocalEndPoint.Port, Is.EqualTo(port), "the listener keeps serving");
    }

    [Test]
    public async Task A_client_certificate_other_than_the_pinned_one_is_refused_and_both_sides_say_why()
    {
        var serverLog = new CapturingLogger<TcpTransportListener>();
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true), logger: serverLog);
        using X509Certificate2 stranger = TestCertificates.CreateClient("mcp-other-client");
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server, certificate: stranger));
        int port = listener.LocalEndPoint.Port;

        await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        var error = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(client.Input).WaitAsync(Limit));
        Assert.That(error!.Message, Does.StartWith($"tls 127.0.0.1:{port}: the server closed the TLS connection after the handshake without sending anything: it may have refused this client's certificate"));

        LogEntry refused = await serverLog.WaitForAsync(e => e.Exception is TransportException).WaitAsync(Limit);
        Assert.That(refused.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(refused.Exception!.Message, Does.Match($@"^tls 127\.0\.0\.1:\d+ \(on tls listener 127\.0\.0\.1:{port}\): TLS handshake failed: "));
        Assert.That(refused.Exception.Message, Does.Contain("The remote certificate was rejected by the provided RemoteCertificateValidationCallback."));
        Assert.That(refused.Exception.Message, Does.Contain("or one that validation rejected"));
    }

    [Test]
    public async Task A_refused_client_that_writes_first_learns_the_same_from_input_and_output()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true));
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server));
        int port = listener.LocalEndPoint.Port;

        // Writing into the refused connection makes the server's kernel answer with a reset, and later sends fail with
        // a broken pipe; whether the link sees that or the end of the stream first, it is the same refusal.
        await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        var sent = Assert.ThrowsAsync<TransportException>(async () => await WriteUntilFailureAsync(client.Output).WaitAsync(Limit));
        var received = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(client.Input).WaitAsync(Limit));

        Assert.That(received!.Message, Does.Match($@"^tls 127\.0\.0\.1:{port}: the server (closed|reset) the TLS connection after the handshake without sending anything: it may have refused this client's certificate"));
        Assert.That(sent!.Message, Is.EqualTo(received.Message));
    }

    [Test]
    public async Task A_server_resetting_right_after_the_handshake_is_reported_as_a_possible_refusal()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        raw.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        raw.Listen();
        int port = ((IPEndPoint)raw.LocalEndPoint!).Port;
        Task<Socket> accepting = raw.AcceptAsync();
        var connector = new TcpTransportConnector("127.0.0.1", port, ClientOptions(pin: _server));
        Task<ITransport> connecting = connector.ConnectAsync().AsTask();
        using Socket peer = await accepting.WaitAsync(Limit);
        await using (var ssl = new SslStream(new NetworkStream(peer, ownsSocket: false), leaveInnerStreamOpen: true))
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _server }).WaitAsync(Limit);
            await using ITransport client = await connecting.WaitAsync(Limit);

            peer.LingerState = new LingerOption(true, 0);
            peer.Close(); // RST, without a byte of application data

            var error = Assert.ThrowsAsync<TransportException>(async () => await TcpTransportTests.ReadToEndAsync(client.Input).WaitAsync(Limit));
            Assert.That(error!.Message, Is.EqualTo(
                $"tls 127.0.0.1:{port}: the server reset the TLS connection after the handshake without sending anything: it may have refused this client's certificate (none presented, or not one the server accepts); the server's log says why."));
            Assert.That(error.InnerException, Is.Not.Null);
        }
    }

    [Test]
    public async Task A_server_closing_after_it_sent_something_ends_the_clients_input_normally()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true));
        (ITransport connected, ITransport accepted) = await TcpTransportTests.ConnectPairAsync(listener, ClientOptions(pin: _server, certificate: _client));
        await using ITransport client = connected;
        ITransport server = accepted;

        await FrameTraffic.WriteAsync(server.Output, 3).WaitAsync(Limit);
        await server.DisposeAsync();

        FrameCheck check = await FrameTraffic.ReadAsync(client.Input, expected: int.MaxValue).WaitAsync(Limit);
        TcpTransportTests.AssertClean(check, 3);
    }

    [Test]
    public async Task A_server_closing_after_the_client_closed_its_side_ends_the_clients_input_normally()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true));
        (ITransport connected, ITransport accepted) = await TcpTransportTests.ConnectPairAsync(listener, ClientOptions(pin: _server, certificate: _client));
        await using ITransport client = connected;
        ITransport server = accepted;

        // Nothing was ever sent to the client, but its own close came first: the server's close answers it.
        await client.Output.CompleteAsync();
        ReadResult end = await TcpTransportTests.ReadToEndAsync(server.Input).WaitAsync(Limit);
        Assert.That(end.IsCompleted, Is.True);
        await server.DisposeAsync();

        end = await TcpTransportTests.ReadToEndAsync(client.Input).WaitAsync(Limit);
        Assert.That(end.IsCompleted, Is.True);
    }

    [Test]
    public async Task A_client_that_never_starts_its_handshake_does_not_hold_up_the_next_one()
    {
        // The silent client's handshake could wait for minutes; the next client must not wait behind it.
        TimeSpan prompt = TimeSpan.FromSeconds(5);
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: false), handshakeTimeout: TimeSpan.FromMinutes(5));
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(listener.LocalEndPoint).WaitAsync(Limit); // queued first: accepted first
        ValueTask<ITransport> accepting = listener.AcceptAsync();
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server), connectTimeout: Limit);

        await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(prompt);
        await using ITransport server = await accepting.AsTask().WaitAsync(prompt);

        Assert.That(server.Name, Is.Not.EqualTo($"tls {silent.LocalEndPoint}"), "the silent client is not handed out");
        await ExchangeAsync(client, server);
    }

    [Test]
    public void Listener_without_a_server_certificate_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), new SslServerAuthenticationOptions()));
        Assert.That(error!.Message, Does.Contain("server certificate"));
    }

    private static async Task WriteUntilFailureAsync(PipeWriter output)
    {
        while (true)
        {
            await FrameTraffic.WriteAsync(output, 5);
        }
    }

    private static async Task ExchangeAsync(ITransport client, ITransport server)
    {
        Task<FrameCheck> atServer = FrameTraffic.ReadAsync(server.Input, expected: 200, stream: 1);
        Task<FrameCheck> atClient = FrameTraffic.ReadAsync(client.Input, expected: 100, stream: 2);
        await Task.WhenAll(
            FrameTraffic.WriteAsync(client.Output, 200, stream: 1),
            FrameTraffic.WriteAsync(server.Output, 100, stream: 2)).WaitAsync(Limit);
        TcpTransportTests.AssertClean(await atServer.WaitAsync(Limit), 200, "server");
        TcpTransportTests.AssertClean(await atClient.WaitAsync(Limit), 100, "client");
    }

    private SslServerAuthenticationOptions ServerOptions(bool requireClient, SslProtocols protocol = SslProtocols.None)
    {
        string clientPin = TestCertificates.Sha256(_client);
        return new SslServerAuthenticationOptions
        {
            ServerCertificate = _server,
            EnabledSslProtocols = protocol,
            ClientCertificateRequired = requireClient,
            RemoteCertificateValidationCallback = requireClient
                ? (_, certificate, _, _) => certificate is not null && TestCertificates.Sha256(certificate) == clientPin
                : null,
        };
    }

    private static SslClientAuthenticationOptions ClientOptions(X509Certificate2 pin, X509Certificate2? certificate = null, SslProtocols protocol = SslProtocols.None)
    {
        string pinned = TestCertificates.Sha256(pin);
        return new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == pinned,
            ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
        };
    }
}
