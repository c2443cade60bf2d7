using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;

namespace Mcp.Frames.Transports;

/// <summary>
/// One TCP connection (plain or TLS) as an <see cref="ITransport"/>. Made by <see cref="TcpTransportConnector"/> and
/// <see cref="TcpTransportListener"/>.
/// </summary>
/// <remarks>
/// <para>The peer closing its side ends <see cref="DuplexPipePump.Input"/> normally; a reset or socket error ends it with
/// a <see cref="TransportException"/>. So does the end of a TLS client link before its first byte: that is how a server
/// refusing the client's certificate looks from here (the message says so). Completing
/// <see cref="DuplexPipePump.Output"/> sends what was written, then FIN (TLS: close_notify first). No stall timeout: TCP does not lose bytes inside a stream (PROTOCOL.md §1.1 rule 5).</para>
/// <para>Plain TCP talks to the socket directly: receives of up to one 64 KiB pipe block, and one gathering send for
/// all the blocks a flush made available. TLS goes through the <see cref="SslStream"/>.</para>
/// <para>Thread hand-overs are kept off the round trip. Code awaiting <see cref="DuplexPipePump.Input"/> resumes on
/// the receive loop (the thread-pool thread that completed the receive), and the next receive is issued when it awaits
/// again, so it must not block there (<c>FrameConnection</c>'s read loop only hands frames off). A flush that answers
/// something received since the last send runs the send loop on the flushing thread, which sends at once when
/// the socket takes the bytes (it usually does); other flushes wake the send loop on the thread pool, so a stream of
/// flushes overlaps encoding with sending and is coalesced into fewer sends. On a two-core virtual machine this took
/// a PING round trip from 67 to 32 μs while TCP streaming with 4 KiB flushes stayed ahead of its raw copy
/// (bench/README.md).</para>
/// </remarks>
internal sealed class TcpTransport : DuplexPipePump, ITransport
{
    private const int BlockSize = 64 * 1024;

    private readonly Socket _socket;
    private readonly SslStream? _tls;
    private readonly List<ArraySegment<byte>> _gather = [];

    // A TLS client link until its first byte: the end of the stream before it may be the server refusing the
    // client's certificate (see TlsRefusal).
    private volatile bool _awaitingFirstTlsByte;

    /// <summary>Wraps a connected socket; with <paramref name="tls"/>, an authenticated TLS stream over it.</summary>
    /// <param name="name">The link's name, for messages.</param>
    /// <param name="socket">The connected socket.</param>
    /// <param name="tls">The authenticated TLS stream over <paramref name="socket"/>, or <see langword="null"/> for plain TCP.</param>
    /// <param name="tlsClient">Whether this end dialled and authenticated as the TLS client.</param>
    public TcpTransport(string name, Socket socket, SslStream? tls, bool tlsClient = false)
        : base(name, TransportPipes.Create(segmentSize: BlockSize, readerScheduler: PipeScheduler.Inline), TransportPipes.Create(segmentSize: BlockSize), answerInline: true)
    {
        _socket = socket;
        _tls = tls;
        _awaitingFirstTlsByte = tls is not null && tlsClient;
        StartPumping();
    }

    public TimeSpan? StallTimeout => null;

    /// <summary>The connected socket (tests read its options back).</summary>
    internal Socket Socket => _socket;

    protected override int ReceiveSizeHint => BlockSize / 2;

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _tls is null ? _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)
        : _awaitingFirstTlsByte ? ReceiveFirstTlsBytesAsync(buffer, cancellationToken)
        : _tls.ReadAsync(buffer, cancellationToken);

    protected override async ValueTask SendAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (_tls is not null)
        {
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                await _tls.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (buffer.IsSingleSegment)
        {
            await _socket.SendAsync(buffer.First, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Several blocks: one gathering send (the pipe's memory is array-backed).
        _gather.Clear();
        foreach (ReadOnlyMemory<byte> segment in buffer)
        {
            if (!MemoryMarshal.TryGetArray(segment, out ArraySegment<byte> array))
            {
                array = segment.ToArray();
            }

            _gather.Add(array);
        }

        long total = buffer.Length;
        Task<int> send = _socket.SendAsync(_gather, SocketFlags.None); // this overload takes no token
        await AbandonableAsync(send, cancellationToken).ConfigureAwait(false);
        long sent = send.Result; // completed
        if (sent != total)
        {
            // A stream socket sends everything unless it fails; send the rest rather than assume.
            await SendRestAsync(buffer.Slice(sent), cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async ValueTask ShutdownSendAsync(CancellationToken cancellationToken)
    {
        // This end closed first: the server closing its side after that answers it, it is no refusal.
        _awaitingFirstTlsByte = false;
        if (_tls is not null)
        {
            await AbandonableAsync(_tls.ShutdownAsync(), cancellationToken).ConfigureAwait(false);
        }

        _socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>
    /// Waits for an operation that takes no token. Given up, the operation still runs until the socket is closed and
    /// then fails: that failure is observed here, so it never surfaces as an unobserved task exception.
    /// </summary>
    private static async Task AbandonableAsync(Task operation, CancellationToken cancellationToken)
    {
        try
        {
            await operation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!operation.IsCompleted)
        {
            _ = operation.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    protected override ValueTask CloseDeviceAsync()
    {
        _tls?.Dispose();
        _socket.Dispose();
        return default;
    }

    protected override TransportException? DescribeEndOfStream() => _awaitingFirstTlsByte ? TlsRefusal(error: null) : null;

    protected override TransportException DescribeFailure(Exception error, bool receiving)
    {
        if (_awaitingFirstTlsByte && IsConnectionLoss(error))
        {
            return TlsRefusal(error);
        }

        string direction = receiving ? "receiving" : "sending";
        return new TransportException($"{Name}: connection lost while {direction}: {Reason(error)}", error);
    }

    /// <summary>
    /// The failure of a TLS client link that the server closed (or reset) before sending a single byte. SslStream's
    /// server checks the client's certificate after the TLS handshake proper (on Linux it sends no alert), so the
    /// client's handshake succeeds and a refused client sees nothing but the end of the stream (TLS 1.2 and 1.3
    /// alike), or a reset or broken pipe when it wrote first. A server that accepts a client and then closes without
    /// ever sending looks the same, hence "may".
    /// </summary>
    private TransportException TlsRefusal(Exception? error)
    {
        string ended = error is not null && Root(error) is SocketException { SocketErrorCode: SocketError.ConnectionReset } ? "reset" : "closed";
        return new TransportException(
            $"{Name}: the server {ended} the TLS connection after the handshake without sending anything: it may have refused this client's certificate (none presented, or not one the server accepts); the server's log says why.",
            error);
    }

    // A reset, or a broken pipe (EPIPE, reported as Shutdown) when this end wrote after the server had closed.
    private static bool IsConnectionLoss(Exception error) =>
        Root(error) is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown };

    private static Exception Root(Exception error) =>
        error is IOException { InnerException: SocketException or AuthenticationException } io ? io.InnerException! : error;

    private async ValueTask<int> ReceiveFirstTlsBytesAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int received = await _tls!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (received > 0)
        {
            _awaitingFirstTlsByte = false;
        }

        return received;
    }

    /// <summary>A short reason for a socket or TLS error, for messages.</summary>
    internal static string Reason(Exception error) => Root(error) switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionReset } => "the peer reset the connection",
        SocketException { SocketErrorCode: SocketError.ConnectionAborted } => "the connection was aborted",
        SocketException { SocketErrorCode: SocketError.TimedOut } => "the peer stopped answering (TCP keep-alive or retransmission timeout)",
        SocketException { SocketErrorCode: SocketError.Shutdown } => "the socket was shut down",
        SocketException se => $"socket error {se.SocketErrorCode}: {se.Message}",
        ObjectDisposedException => "the socket was closed",
        AuthenticationException ae => $"TLS error: {ae.Message}",
        Exception root => root.Message,
    };

    private async Task SendRestAsync(ReadOnlySequence<byte> rest, CancellationToken cancellationToken)
    {
        foreach (ReadOnlyMemory<byte> segment in rest)
        {
            await _socket.SendAsync(segment, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }
}
