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
            X509Certificate2Collection trusted = LoadTrustedRoots(tcp.CaCertificate);
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(trusted);
        }

        if (!string.IsNullOrEmpty(tcp.ClientCertificate))
        {
            options.ClientCertificates = [LoadClientCertificate(tcp.ClientCertificate, tcp.ClientCertificatePassword)];
        }

        return options;
    }

    /// <summary>The certificates of a PEM file to trust as roots.</summary>
    /// <exception cref="InvalidDataException">The file holds no PEM certificate.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A certificate in it is malformed.</exception>
    internal static X509Certificate2Collection LoadTrustedRoots(string file)
    {
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(file);
        if (trusted.Count == 0)
        {
            throw new InvalidDataException("the file holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return trusted;
    }

    /// <summary>A PKCS#12 (.pfx) client certificate with its private key.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">Not PKCS#12, or the password is wrong.</exception>
    internal static X509Certificate2 LoadClientCertificate(string file, string? password) =>
        X509CertificateLoader.LoadPkcs12FromFile(file, password);

    private sealed class NamedConnector(ITransportConnector inner, string name) : ITransportConnector
    {
        public string Name => name;

        public ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default) => inner.ConnectAsync(cancellationToken);
    }
}
