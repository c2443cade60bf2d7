namespace Mcp.Frames.Gateway.Settings;

/// <summary>A TCP link, with optional TLS.</summary>
public sealed class TcpLinkSettings
{
    /// <summary>The device's host name or address.</summary>
    public string Host { get; set; } = "";

    /// <summary>The device's port.</summary>
    public int Port { get; set; }

    /// <summary>Use TLS.</summary>
    public bool Tls { get; set; }

    /// <summary>The name the server certificate must carry (defaults to <see cref="Host"/>).</summary>
    public string? TlsServerName { get; set; }

    /// <summary>A PEM file with the certificate authority (or the self-signed server certificate) to trust; the system store when empty.</summary>
    public string? CaCertificate { get; set; }

    /// <summary>A PFX file with the client certificate, for mutual TLS.</summary>
    public string? ClientCertificate { get; set; }

    /// <summary>The PFX password, if any.</summary>
    public string? ClientCertificatePassword { get; set; }
}
