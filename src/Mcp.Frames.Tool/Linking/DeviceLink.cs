using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Serial;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Tool.Linking;

/// <summary>
/// An open link to a device: the transport, a started <see cref="FrameConnection"/> and an <see cref="McpClient"/>.
/// Requests are sent once (no retries): a diagnostic tool shows what the device answered, BUSY included.
/// </summary>
internal sealed class DeviceLink : IAsyncDisposable
{
    private DeviceLink(FrameConnection connection, TimeSpan timeout)
    {
        Connection = connection;
        Client = new McpClient(connection);
        Requests = new RequestOptions { Timeout = timeout, MaxRetries = 0 };
    }

    public FrameConnection Connection { get; }

    public McpClient Client { get; }

    /// <summary>The options for every request: the <c>--timeout</c>, no retries.</summary>
    public RequestOptions Requests { get; }

    public string Name => Connection.Name;

    /// <summary>Connects and starts the connection.</summary>
    /// <exception cref="TransportException">The link cannot be opened; the message names the address and why.</exception>
    /// <exception cref="UsageException">A TLS file cannot be used.</exception>
    public static async Task<DeviceLink> OpenAsync(LinkSettings settings, CancellationToken cancellationToken)
    {
        ITransport transport = await ConnectAsync(settings, cancellationToken).ConfigureAwait(false);
        var connection = new FrameConnection(transport, null, new FrameConnectionOptions
        {
            Name = transport.Name,
            RequestTimeout = settings.Timeout,
        });
        connection.Start();
        return new DeviceLink(connection, settings.Timeout);
    }

    /// <summary>Opens the transport alone (for <c>sniff</c>, which reads frames itself).</summary>
    public static async Task<ITransport> ConnectAsync(LinkSettings settings, CancellationToken cancellationToken)
    {
        ITransportConnector connector;
        if (settings.Host is { } host)
        {
            connector = new TcpTransportConnector(host, settings.Port, settings.Tls ? CreateTls(settings, host) : null, settings.Timeout);
        }
        else
        {
            var serial = new SerialTransportOptions
            {
                PortName = settings.SerialPath!,
                BaudRate = settings.BaudRate,
                Parity = settings.Parity,
                StopBits = settings.StopBits,
                DataBits = settings.DataBits,
                Backend = settings.Backend,
            };
            try
            {
                connector = new SerialTransportConnector(serial);
            }
            catch (ArgumentException ex)
            {
                string flag = ex.ParamName == nameof(SerialTransportOptions.Backend) ? "--serial-backend" : $"--serial {settings.SerialPath}";
                throw new UsageException($"{flag}: {ex.Message}", ex);
            }
        }

        // The connect timeout of TCP is inside the connector; a serial open is bounded here.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);
        try
        {
            return await connector.ConnectAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransportException($"{connector.Name}: could not connect within {settings.Timeout.TotalMilliseconds:0} ms.");
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();

    private static SslClientAuthenticationOptions CreateTls(LinkSettings settings, string host)
    {
        var tls = new SslClientAuthenticationOptions { TargetHost = settings.TlsHost ?? host };
        if (settings.CaFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new UsageException($"--ca {caFile}: cannot read a PEM certificate: {ex.Message}", ex);
            }

            if (roots.Count == 0)
            {
                throw new UsageException($"--ca {caFile}: the file holds no PEM certificate.");
            }

            tls.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            tls.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        if (settings.CertFile is { } certFile)
        {
            try
            {
                X509Certificate2 certificate = settings.KeyFile is { } keyFile
                    ? X509Certificate2.CreateFromPemFile(certFile, keyFile)
                    : certFile.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || certFile.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)
                        ? X509Certificate2.CreateFromPemFile(certFile)
                        : X509CertificateLoader.LoadPkcs12FromFile(certFile, password: null);
                tls.ClientCertificates = [certificate];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                string key = settings.KeyFile is null ? string.Empty : $" with --key {settings.KeyFile}";
                throw new UsageException($"--cert {certFile}{key}: cannot load the client certificate: {ex.Message}", ex);
            }
        }

        return tls;
    }
}
