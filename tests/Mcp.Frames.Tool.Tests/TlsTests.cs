using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mcp.Frames.FirmwareSim.Definition;
using Mcp.Frames.FirmwareSim.Hosting;
using Mcp.Frames.Tool.Tests.Support;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tool.Tests;

/// <summary>
/// <c>--tls</c> with <c>--ca</c>, <c>--cert</c>, <c>--key</c>: a TLS listener on 127.0.0.1 (the library's, with a
/// self-signed certificate) bridged to an in-process firmware-sim.
/// </summary>
public sealed class TlsTests
{
    private string _directory = null!;
    private SimHost _host = null!;
    private X509Certificate2 _server = null!;

    [SetUp]
    public async Task SetUp()
    {
        _directory = Directory.CreateTempSubdirectory("mcp-tool-tls-").FullName;
        _host = await SimHost.StartAsync(new SimHostOptions { Device = DeviceDefinition.Parse(Sims.DeviceJson) }).Within();
        _server = CreateCertificate("localhost", serverAuth: true);
        await File.WriteAllTextAsync(CaFile, _server.ExportCertificatePem());
    }

    [TearDown]
    public async Task TearDown()
    {
        _server.Dispose();
        await _host.DisposeAsync().AsTask().Within();
        Directory.Delete(_directory, recursive: true);
    }

    private string CaFile => Path.Combine(_directory, "device.pem");

    [Test]
    public async Task Tls_with_the_device_certificate_as_ca()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), new SslServerAuthenticationOptions { ServerCertificate = _server });
        Task bridge = BridgeOneAsync(listener);
        ToolResult result = await McpTool.RunAsync("hello", "--tcp", $"127.0.0.1:{listener.LocalEndPoint.Port}", "--tls", "--tls-host", "localhost", "--ca", CaFile, "--json");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var device = result.Json.Single();
        Assert.That(((string?)device["deviceId"], (string?)device["link"]), Is.EqualTo(("sim-tool", $"tls 127.0.0.1:{listener.LocalEndPoint.Port}")));
        await bridge.Within();
    }

    [Test]
    public async Task Mutual_tls_with_a_client_certificate()
    {
        using X509Certificate2 client = CreateCertificate("gateway", serverAuth: false);
        string certFile = Path.Combine(_directory, "client.pem");
        string keyFile = Path.Combine(_directory, "client.key");
        await File.WriteAllTextAsync(certFile, client.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var tls = new SslServerAuthenticationOptions
        {
            ServerCertificate = _server,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == client.GetCertHashString(),
        };
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), tls);
        Task bridge = BridgeOneAsync(listener);
        ToolResult result = await McpTool.RunAsync("read", "--tcp", $"127.0.0.1:{listener.LocalEndPoint.Port}", "--tls", "--tls-host", "localhost", "--ca", CaFile, "--cert", certFile, "--key", keyFile, "--slot", "3", "--register", "1");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Lines.Single(), Is.EqualTo("slot 3 register 1 = 42"));
        await bridge.Within();
    }

    [Test]
    public async Task An_untrusted_certificate_exits_3()
    {
        await using var listener = new TcpTransportListener(new IPEndPoint(IPAddress.Loopback, 0), new SslServerAuthenticationOptions { ServerCertificate = _server });
        ToolResult result = await McpTool.RunAsync("hello", "--tcp", $"127.0.0.1:{listener.LocalEndPoint.Port}", "--tls", "--tls-host", "localhost");
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.LinkFailure), result.ToString());
        Assert.That(result.Err, Does.Contain($"tls 127.0.0.1:{listener.LocalEndPoint.Port}: TLS handshake failed"));
    }

    [Test]
    public async Task An_unreadable_ca_file_exits_2_and_names_it()
    {
        string missing = Path.Combine(_directory, "missing.pem");
        ToolResult result = await McpTool.RunAsync("hello", "--tcp", "127.0.0.1:1", "--tls", "--ca", missing);
        Assert.That(result.ExitCode, Is.EqualTo(ExitCodes.Usage), result.ToString());
        Assert.That(result.Err, Does.Contain($"--ca {missing}"));
    }

    private static X509Certificate2 CreateCertificate(string name, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12 so that the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Accepts one TLS link and pipes it to an in-memory link of the simulated device until either side ends.</summary>
    private async Task BridgeOneAsync(TcpTransportListener listener)
    {
        await using ITransport tls = await listener.AcceptAsync();
        await using ITransport device = _host.ConnectInMemory("tls bridge");
        Task up = Pump(tls.Input, device.Output);
        Task down = Pump(device.Input, tls.Output);
        await Task.WhenAny(up, down);
    }

    private static async Task Pump(PipeReader from, PipeWriter to)
    {
        try
        {
            await from.CopyToAsync(to);
        }
        catch (IOException)
        {
            // One side went down: the bridge ends.
        }
        catch (InvalidOperationException)
        {
            // The other pipe was completed while copying.
        }
    }
}
