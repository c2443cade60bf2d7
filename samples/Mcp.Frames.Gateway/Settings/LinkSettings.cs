namespace Mcp.Frames.Gateway.Settings;

/// <summary>One device link: exactly one of <see cref="Tcp"/> or <see cref="Serial"/>.</summary>
public sealed class LinkSettings
{
    /// <summary>A name for logs (defaults to the endpoint).</summary>
    public string? Name { get; set; }

    /// <summary>A TCP (optionally TLS) link.</summary>
    public TcpLinkSettings? Tcp { get; set; }

    /// <summary>A serial link.</summary>
    public SerialLinkSettings? Serial { get; set; }
}
