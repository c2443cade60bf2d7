using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Mcp.Frames.Transports;

/// <summary>
/// One TCP connection (plain or TLS) as an <see cref="ITransport"/>. Made by <see cref="TcpTransportConnector"/> and
/// <see cref="TcpTransportListener"/>.
/// </summary>
/// <remarks>
/// The peer closing its side ends <see cref="DuplexPipePump.Input"/> normally; a reset or socket error ends it with a
/// <see cref="TransportException"/>. Completing <see cref="DuplexPipePump.Output"/> sends what was written, then FIN
/// (TLS: close_notify first). No stall timeout: TCP does not lose bytes inside a stream (PROTOCOL.md §1.1 rule 5).
/// </remarks>
internal sealed class TcpTransport : DuplexPipePump, ITransport
{
    private readonly Socket _socket;
    private readonly Stream _stream;

    public TcpTransport(string name, Socket socket, Stream stream)
        : base(name, TransportPipes.Create(), TransportPipes.Create())
    {
        _socket = socket;
        _stream = stream;
        StartPumping();
    }

    public TimeSpan? StallTimeout => null;

    protected override int ReceiveSizeHint => TransportPipes.SegmentSize / 2;

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        => _stream.ReadAsync(buffer, cancellationToken);

    protected override async ValueTask SendAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (buffer.IsSingleSegment)
        {
            await _stream.WriteAsync(buffer.First, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            await _stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async ValueTask ShutdownSendAsync(CancellationToken cancellationToken)
    {
        if (_stream is SslStream ssl)
        {
            await ssl.ShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _socket.Shutdown(SocketShutdown.Send);
    }

    protected override ValueTask CloseDeviceAsync()
    {
        _stream.Dispose();
        _socket.Dispose();
        return default;
    }

    protected override TransportException DescribeFailure(Exception error, bool receiving)
    {
        string direction = receiving ? "receiving" : "sending";
        return new TransportException($"{Name}: connection lost while {direction}: {Reason(error)}", error);
    }

    /// <summary>A short reason for a socket or TLS error, for messages.</summary>
    internal static string Reason(Exception error)
    {
        Exception root = error is IOException { InnerException: SocketException or AuthenticationException } io ? io.InnerException! : error;
        return root switch
        {
            SocketException { SocketErrorCode: SocketError.ConnectionReset } => "the peer reset the connection",
            SocketException { SocketErrorCode: SocketError.ConnectionAborted } => "the connection was aborted",
            SocketException { SocketErrorCode: SocketError.TimedOut } => "the peer stopped answering (TCP keep-alive or retransmission timeout)",
            SocketException { SocketErrorCode: SocketError.Shutdown } => "the socket was shut down",
            SocketException se => $"socket error {se.SocketErrorCode}: {se.Message}",
            ObjectDisposedException => "the socket was closed",
            AuthenticationException ae => $"TLS error: {ae.Message}",
            _ => root.Message,
        };
    }
}
