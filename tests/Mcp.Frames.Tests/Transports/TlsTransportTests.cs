using System.Net;
using System.IO.Pipelines;
using System.Net.Security;
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
    public async Task Handshake_succeeds_with_a_pinned_self_signed_certificate_and_frames_flow()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: false));
        ValueTask<ITransport> accepting = listener.AcceptAsync();
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server));

        await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport server = await accepting.AsTask().WaitAsync(Limit);

        Assert.That(client.Name, Is.EqualTo($"tls 127.0.0.1:{listener.LocalEndPoint.Port}"));
        Assert.That(server.Name, Does.StartWith("tls 127.0.0.1:"));
        await ExchangeAsync(client, server);
    }

    [Test]
    public async Task Mutual_tls_succeeds_when_the_client_presents_the_pinned_certificate()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true));
        ValueTask<ITransport> accepting = listener.AcceptAsync();
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server, certificate: _client));

        await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
        await using ITransport server = await accepting.AsTask().WaitAsync(Limit);

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

    [Test]
    public async Task A_missing_client_certificate_is_refused_and_the_server_says_why()
    {
        var serverLog = new CapturingLogger<TcpTransportListener>();
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), ServerOptions(requireClient: true), logger: serverLog);
        var connector = new TcpTransportConnector("127.0.0.1", listener.LocalEndPoint.Port, ClientOptions(pin: _server));
        int port = listener.LocalEndPoint.Port;

        // SslStream's server checks the client's certificate after the TLS handshake proper and then just closes, so the
        // client's ConnectAsync succeeds and its link ends at once, without a byte and without a reason (TLS 1.2 and 1.3
        // alike). The reason is on the server's side.
        try
        {
            await using ITransport client = await connector.ConnectAsync().AsTask().WaitAsync(Limit);
            ReadResult end = await TcpTransportTests.ReadToEndAsync(client.Input).WaitAsync(Limit);
            Assert.That(end.Buffer.IsEmpty && end.IsCompleted, Is.True);
        }
        catch (TransportException ex)
        {
            Assert.That(ex.Message, Does.StartWith($"tls 127.0.0.1:{port}: "));
        }

        // The server refuses with a message that names the client, the listener and the reason.
        LogEntry refused = await serverLog.WaitForAsync(e => e.Exception is TransportException).WaitAsync(Limit);
        Assert.That(refused.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(refused.Exception!.Message, Does.Match($@"^tls 127\.0\.0\.1:\d+ \(on tls listener 127\.0\.0\.1:{port}\): TLS handshake failed: "));
        Assert.That(refused.Exception.Message, Does.Contain("This server requires a client certificate (ClientCertificateRequired): the client presented none"));
        Assert.That(listener.LocalEndPoint.Port, Is.EqualTo(port), "the listener keeps serving");
    }

    [Test]
    public void Listener_without_a_server_certificate_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => _ = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), new SslServerAuthenticationOptions()));
        Assert.That(error!.Message, Does.Contain("server certificate"));
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

    private SslServerAuthenticationOptions ServerOptions(bool requireClient)
    {
        string clientPin = TestCertificates.Sha256(_client);
        return new SslServerAuthenticationOptions
        {
            ServerCertificate = _server,
            ClientCertificateRequired = requireClient,
            RemoteCertificateValidationCallback = requireClient
                ? (_, certificate, _, _) => certificate is not null && TestCertificates.Sha256(certificate) == clientPin
                : null,
        };
    }

    private static SslClientAuthenticationOptions ClientOptions(X509Certificate2 pin, X509Certificate2? certificate = null)
    {
        string pinned = TestCertificates.Sha256(pin);
        return new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == pinned,
            ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
        };
    }
}
