using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mcp.Frames.Gateway.Settings;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Gateway;

/// <summary>Turns a validated link setting into a transport connector.</summary>
internal static class LinkConnectorFactory
{
    public static ITransportConnector Create(LinkSettings link)
    {
        ITransportConnector connector = CreateEndpoint(link);

        // The registry names a device's link after its connector (logs, /devices "link"); the setting's Name wins.
        return string.IsNullOrWhiteSpace(link.Name) ? connector : new NamedConnector(connector, link.Name);
    }

    private static ITransportConnector CreateEndpoint(LinkSettings link)
    {
        if (link.Tcp is { } tcp)
        {
            return new TcpTransportConnector(tcp.Host, tcp.Port, tcp.Tls ? CreateTls(tcp) : null);
        }

        return new SerialTransportConnector(link.Serial!.ToOptions());
    }

    private static SslClientAuthenticationOptions CreateTls(TcpLinkSettings tcp)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = tcp.TlsServerName ?? tcp.Host };
        if (!string.IsNullOrEmpty(tcp.CaCertificate))
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(tcp.CaCertificate);
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }

        if (!string.IsNullOrEmpty(tcp.ClientCertificate))
        {
            options.ClientCertificates = [X509CertificateLoader.LoadPkcs12FromFile(tcp.ClientCertificate, tcp.ClientCertificatePassword)];
        }

        return options;
    }

    private sealed class NamedConnector(ITransportConnector inner, string name) : ITransportConnector
    {
        public string Name => name;

        public ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default) => inner.ConnectAsync(cancellationToken);
    }
}
