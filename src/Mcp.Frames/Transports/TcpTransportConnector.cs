using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Mcp.Frames.Transports;

/// <summary>
/// Dials a TCP endpoint, optionally with TLS, and returns the connection as an <see cref="ITransport"/> named like
/// <c>tcp 10.0.0.5:5020</c> (or <c>tls …</c>).
/// </summary>
/// <remarks>
/// <para>Sockets have Nagle's algorithm off (frames are small and latency-bound) and TCP keep-alive on.</para>
/// <para>
/// With TLS the given <see cref="SslClientAuthenticationOptions"/> are used as they are for every connection: set
/// <see cref="SslClientAuthenticationOptions.TargetHost"/> to the name in the server's certificate,
/// <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> to pin a self-signed device
/// certificate, and <see cref="SslClientAuthenticationOptions.ClientCertificates"/> for mutual TLS. Do not change the
/// options object while the connector is in use.
/// </para>
/// <para>
/// A server may check the client's certificate only after the handshake (SslStream does, without a TLS alert), so
/// <see cref="ConnectAsync"/> succeeds also for a client it refuses. The link's <see cref="System.IO.Pipelines.IDuplexPipe.Input"/>
/// then fails with a <see cref="TransportException"/> that says the server ended the connection without sending
/// anything and may have refused the certificate.
/// </para>
/// </remarks>
public sealed class TcpTransportConnector : ITransportConnector
{
    /// <summary>The connect timeout used when none is given: 10 seconds.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Creates a connector.</summary>
    /// <param name="host">A host name or an IP address.</param>
    /// <param name="port">The TCP port, 1 to 65535.</param>
    /// <param name="tls">TLS client options; <see langword="null"/> for plain TCP.</param>
    /// <param name="connectTimeout">Limit for name resolution, connect and TLS handshake together;
    /// <see langword="null"/> for <see cref="DefaultConnectTimeout"/>.</param>
    /// <exception cref="ArgumentException">An argument is empty or out of range, or <paramref name="tls"/> has no
    /// <see cref="SslClientAuthenticationOptions.TargetHost"/>.</exception>
    public TcpTransportConnector(string host, int port, SslClientAuthenticationOptions? tls = null, TimeSpan? connectTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        TimeSpan timeout = connectTimeout ?? DefaultConnectTimeout;
        if ((timeout <= TimeSpan.Zero || timeout > Connections.RequestOptions.MaxTimeout) && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(connectTimeout), timeout, $"connectTimeout must be positive and at most {Connections.RequestOptions.MaxTimeout.TotalDays:0} days (or Timeout.InfiniteTimeSpan); {timeout} was given.");
        }

        if (tls is not null && string.IsNullOrEmpty(tls.TargetHost))
        {
            throw new ArgumentException(
                "SslClientAuthenticationOptions.TargetHost must be set: it is the name the server's certificate is checked against (often the host).",
                nameof(tls));
        }

        Host = host;
        Port = port;
        Tls = tls;
        ConnectTimeout = timeout;
        Name = $"{(tls is null ? "tcp" : "tls")} {FormatHost(host)}:{port}";
    }

    /// <summary>The host name or address dialled.</summary>
    public string Host { get; }

    /// <summary>The TCP port dialled.</summary>
    public int Port { get; }

    /// <summary>The TLS client options, or <see langword="null"/> for plain TCP.</summary>
    public SslClientAuthenticationOptions? Tls { get; }

    /// <summary>The limit for resolving, connecting and the TLS handshake together.</summary>
    public TimeSpan ConnectTimeout { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public async ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        Socket? socket = null;
        bool connected = false;
        try
        {
            socket = await DialAsync(timeout.Token).ConfigureAwait(false);
            connected = true;
            if (Tls is null)
            {
                var transport = new TcpTransport(Name, socket, tls: null);
                socket = null;
                return transport;
            }

            Socket owned = socket;
            socket = null; // the TLS stream owns it from here, also when the handshake fails
            SslStream ssl = await TlsHandshake.AsClientAsync(Name, owned, Tls, timeout.Token).ConfigureAwait(false);
            return new TcpTransport(Name, owned, ssl, tlsClient: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransportException(connected
                ? $"{Name}: connected, but the TLS handshake got no answer within {ConnectTimeout.TotalSeconds:0.###} s (connect timeout): is the server speaking TLS?"
                : $"{Name}: could not connect within {ConnectTimeout.TotalSeconds:0.###} s (connect timeout).");
        }
        finally
        {
            socket?.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private async Task<Socket> DialAsync(CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(Host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(Host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new TransportException($"{Name}: cannot resolve host '{Host}': {ex.Message}", ex);
            }

            if (addresses.Length == 0)
            {
                throw new TransportException($"{Name}: host '{Host}' has no addresses.");
            }
        }

        SocketException? last = null;
        foreach (IPAddress address in addresses)
        {
            Socket? socket = null;
            try
            {
                // Created here, not before the try: on a host without IPv6 creating an IPv6 socket fails, and the
                // next address (IPv4) must still be tried.
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                TcpSockets.Configure(socket);
                await socket.ConnectAsync(new IPEndPoint(address, Port), cancellationToken).ConfigureAwait(false);
                return socket;
            }
            catch (SocketException ex)
            {
                // A failed connect says more than a socket that could not be created for another address family.
                if (socket is not null || last is null)
                {
                    last = ex;
                }

                socket?.Dispose();
            }
            catch
            {
                socket?.Dispose();
                throw;
            }
        }

        string reason = last!.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused (is anything listening on that port?)",
            SocketError.TimedOut => "timed out",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
            _ => $"{last.SocketErrorCode}: {last.Message}",
        };
        throw new TransportException($"{Name}: cannot connect: {reason}", last);
    }

    private static string FormatHost(string host) => IPAddress.TryParse(host, out IPAddress? ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host;
}
