using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Mcp.Frames.Transports;

/// <summary>TLS handshakes over a connected socket, with failures turned into messages that say what went wrong.</summary>
internal static class TlsHandshake
{
    public static async Task<SslStream> AsClientAsync(string name, Socket socket, SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            string message = $"{name}: TLS handshake failed: {Flatten(ex)}";
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new TransportException(message, ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async Task<SslStream> AsServerAsync(string name, Socket socket, SslServerAuthenticationOptions options, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            string hint = options.ClientCertificateRequired
                ? " This server requires a client certificate (ClientCertificateRequired): the client presented none, or one that validation rejected."
                : string.Empty;
            string message = $"{name}: TLS handshake failed: {Flatten(ex)}{hint}";
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new TransportException(message, ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The messages of an exception chain, skipping the "see inner exception" kind.</summary>
    internal static string Flatten(Exception error)
    {
        var text = new StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            string m = e.Message.Trim();
            if (m.Length == 0 || m.Contains("see inner exception", StringComparison.OrdinalIgnoreCase) || text.ToString().Contains(m, StringComparison.Ordinal))
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append(" ← ");
            }

            text.Append(m);
        }

        return text.Length == 0 ? error.GetType().Name : text.ToString();
    }
}
