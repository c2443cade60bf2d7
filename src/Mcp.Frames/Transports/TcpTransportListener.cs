using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.Transports;

/// <summary>
/// Accepts TCP connections (optionally TLS) on a local endpoint and hands each one out as an <see cref="ITransport"/>.
/// Listening starts in the constructor; many connections are served at once.
/// </summary>
/// <remarks>
/// <para>
/// A background loop accepts connections and runs TLS handshakes concurrently (each limited by the handshake timeout),
/// so one slow or hostile client never delays the others. At most 64 ready connections wait for
/// <see cref="AcceptAsync"/>, and at most 8 TLS connections are handshaking or waiting for room among them; beyond
/// that, clients wait in the kernel's backlog. (So 8 clients that never finish a handshake hold TLS accepts back for
/// up to one handshake timeout.) A connection whose handshake fails is closed and logged
/// (warning) with a <see cref="TransportException"/> that names the client and the reason; <see cref="AcceptAsync"/>
/// only returns connections that are ready. (SslStream checks a client certificate after the TLS handshake proper and
/// sends no alert, so a client refused for its certificate connects, then sees its connection end before a single
/// byte: <see cref="TcpTransportConnector"/>'s link reports that as a possible refusal; the reason is in this
/// listener's log.)
/// </para>
/// <para>
/// <see cref="DisposeAsync"/> is the graceful shutdown: it stops listening, abandons handshakes in progress, closes
/// connections accepted but not yet taken by <see cref="AcceptAsync"/>, and makes pending and later
/// <see cref="AcceptAsync"/> calls throw <see cref="ObjectDisposedException"/>. Connections already returned belong
/// to the caller and stay open.
/// </para>
/// </remarks>
public sealed class TcpTransportListener : IAsyncDisposable
{
    /// <summary>The TLS handshake limit used when none is given: 10 seconds.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(10);

    private const int Backlog = 512;
    private const int ReadyQueueLength = 64;

    /// <summary>
    /// TLS connections accepted and not yet queued (handshaking, or waiting for room in the queue): at most this many,
    /// so that a flood of clients, or an application slow to call <see cref="AcceptAsync"/>, waits in the kernel's
    /// backlog as plain TCP does, instead of each holding a socket and a TLS session here.
    /// </summary>
    internal const int MaxPendingHandshakes = 8;

    private readonly Socket _listenSocket;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly TimeSpan _handshakeTimeout;
    private readonly ILogger _logger;
    private readonly Channel<ITransport> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _handshakes = [];
    private readonly SemaphoreSlim _handshakeSlots = new(MaxPendingHandshakes, MaxPendingHandshakes);
    private readonly Task _acceptLoop;
    private int _disposed;

    /// <summary>Binds <paramref name="localEndPoint"/> and starts accepting.</summary>
    /// <param name="localEndPoint">The address and port to listen on; port 0 picks a free port (see <see cref="LocalEndPoint"/>).</param>
    /// <param name="tls">TLS server options (server certificate; <see cref="SslServerAuthenticationOptions.ClientCertificateRequired"/>
    /// and a validation callback for mutual TLS); <see langword="null"/> for plain TCP. Used as they are for every
    /// connection: do not change them while the listener runs.</param>
    /// <param name="handshakeTimeout">Limit for each TLS handshake; <see langword="null"/> for <see cref="DefaultHandshakeTimeout"/>.</param>
    /// <param name="logger">Receives refused connections and accept failures; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException"><paramref name="tls"/> has no server certificate, or the timeout is not positive.</exception>
    /// <exception cref="TransportException">The endpoint cannot be bound (in use, not a local address…).</exception>
    public TcpTransportListener(IPEndPoint localEndPoint, SslServerAuthenticationOptions? tls = null, TimeSpan? handshakeTimeout = null, ILogger<TcpTransportListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        if (tls is not null && tls.ServerCertificate is null && tls.ServerCertificateContext is null && tls.ServerCertificateSelectionCallback is null)
        {
            throw new ArgumentException("SslServerAuthenticationOptions needs a server certificate (ServerCertificate, ServerCertificateContext or ServerCertificateSelectionCallback).", nameof(tls));
        }

        _handshakeTimeout = handshakeTimeout ?? DefaultHandshakeTimeout;
        if (_handshakeTimeout <= TimeSpan.Zero || _handshakeTimeout > Connections.RequestOptions.MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(handshakeTimeout), _handshakeTimeout, $"handshakeTimeout must be positive and at most {Connections.RequestOptions.MaxTimeout.TotalDays:0} days; {_handshakeTimeout} was given.");
        }

        _tls = tls;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        string scheme = tls is null ? "tcp" : "tls";
        _listenSocket = new Socket(localEndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                // Rebinding a port whose old connections sit in TIME_WAIT (a restarted gateway) must work.
                _listenSocket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            _listenSocket.Bind(localEndPoint);
            _listenSocket.Listen(Backlog);
        }
        catch (SocketException ex)
        {
            _listenSocket.Dispose();
            string reason = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use",
                SocketError.AddressNotAvailable => "the address is not one of this machine's",
                SocketError.AccessDenied => "access denied (ports below 1024 need privileges)",
                _ => $"{ex.SocketErrorCode}: {ex.Message}",
            };
            throw new TransportException($"{scheme} listener {TcpSockets.Format(localEndPoint)}: cannot listen: {reason}", ex);
        }

        LocalEndPoint = (IPEndPoint)_listenSocket.LocalEndPoint!;
        Name = $"{scheme} listener {TcpSockets.Format(LocalEndPoint)}";
        _ready = Channel.CreateBounded<ITransport>(new BoundedChannelOptions(ReadyQueueLength) { FullMode = BoundedChannelFullMode.Wait });
        Quietly(() => TransportLog.Listening(_logger, Name));
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound endpoint, with the actual port when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>A name for messages, such as <c>tcp listener 127.0.0.1:5020</c>.</summary>
    public string Name { get; }

    /// <summary>The listening socket, for tests that make accepting fail.</summary>
    internal Socket ListenSocket => _listenSocket;

    /// <summary>Waits for the next connection that is ready (TLS handshake done).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The connection; the caller owns it and disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The listener was stopped.</exception>
    /// <exception cref="TransportException">Accepting failed for good (a socket error other than running out of
    /// descriptors or buffers, which only pauses accepting until they are free); the listener no longer accepts.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask<ITransport> AcceptAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            return await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is TransportException failure)
        {
            throw new TransportException(failure.Message, failure);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(Name, $"{Name} was stopped.");
        }
    }

    /// <summary>
    /// Stops listening (graceful shutdown): see the remarks on <see cref="TcpTransportListener"/>. Connections already
    /// returned by <see cref="AcceptAsync"/> stay open.
    /// </summary>
    /// <returns>A task that completes when the accept loop and every handshake have ended.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listenSocket.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // it reports its own failure
        _ = _acceptLoop.Exception; // observed
        Task[] handshakes;
        lock (_handshakes)
        {
            handshakes = [.. _handshakes];
        }

        // A handshake that failed has closed its socket; whatever it threw must not keep the queue from closing.
        Task finished = Task.WhenAll(handshakes);
        await finished.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _ = finished.Exception; // observed (each handshake's own exception is observed by Track)
        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out ITransport? unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _handshakeSlots.Dispose();
        Quietly(() => TransportLog.Stopped(_logger, Name));
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>How long the accept loop waits before trying again when the process is out of descriptors.</summary>
    private static readonly TimeSpan AcceptRetry = TimeSpan.FromMilliseconds(100);

    private async Task AcceptLoopAsync()
    {
        try
        {
            await AcceptUntilStoppedAsync().ConfigureAwait(false);
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Stopping: DisposeAsync completes the queue.
        }
        catch (Exception ex)
        {
            // Whatever ended the loop, callers of AcceptAsync learn it rather than wait for a connection forever, and
            // clients are refused rather than left in the backlog. Logged last: a logger can throw too.
            Exception cause = ex is TransportException { InnerException: { } inner } ? inner : ex;
            TransportException failure;
            string reason;
            try
            {
                reason = TcpTransport.Reason(cause);
                failure = ex as TransportException ?? new TransportException($"{Name}: accepting failed: {reason}", ex);
            }
            catch (Exception)
            {
                reason = cause.GetType().Name; // even describing it failed (out of memory)
                failure = new TransportException($"{Name}: accepting failed", ex);
            }

            _ready.Writer.TryComplete(failure);
            _listenSocket.Dispose();
            Quietly(() => TransportLog.AcceptFailed(_logger, Name, reason, failure));
        }
    }

    /// <summary>Logs without letting a logger's exception end the accept loop, a handshake or a disposal.</summary>
    private static void Quietly(Action log)
    {
        try
        {
            log();
        }
        catch (Exception)
        {
            // The log is lost; what it reported is handled all the same.
        }
    }

    private async Task AcceptUntilStoppedAsync()
    {
        // The pause below runs when the process has no descriptors left, and the runtime cannot start a thread then
        // (each new thread takes a pipe): its first timer would have to start the runtime's timer thread, the
        // timer would fail with OutOfMemoryException, and the listener would end there. A timer armed now starts
        // that thread while descriptors are still free; it never fires.
        try
        {
            using (new Timer(static _ => { }, null, TimeSpan.FromDays(1), Timeout.InfiniteTimeSpan))
            {
            }
        }
        catch (OutOfMemoryException)
        {
            // Out of descriptors already: the pause below falls back to sleeping.
        }

        int retries = 0; // accepts refused in a row for want of descriptors or buffers
        while (true)
        {
            Socket client;
            try
            {
                if (_tls is not null)
                {
                    await _handshakeSlots.WaitAsync(_stop.Token).ConfigureAwait(false); // given back by HandshakeAsync
                }

                client = await _listenSocket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                ReleaseHandshakeSlot();
                continue; // the client gave up before we accepted it
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of file descriptors or buffers (EMFILE, ENFILE, ENOBUFS): the pending connections wait in the
                // backlog; retry until connections that end give the resources back, rather than stop listening.
                ReleaseHandshakeSlot();
                if (retries++ == 0)
                {
                    Quietly(() => TransportLog.AcceptPaused(_logger, Name, TcpTransport.Reason(ex), (int)AcceptRetry.TotalMilliseconds));
                }

                try
                {
                    await Task.Delay(AcceptRetry, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (OutOfMemoryException)
                {
                    // No timer could be armed (the early one above could not start the timer thread either): wait on
                    // this thread instead, rather than stop listening. Rare, and a stop waits at most this long.
                    Thread.Sleep(AcceptRetry);
                }

                continue;
            }
            catch (Exception ex)
            {
                throw new TransportException($"{Name}: accepting failed: {TcpTransport.Reason(ex)}", ex);
            }

            if (retries > 0)
            {
                int resumedAfter = retries;
                Quietly(() => TransportLog.AcceptResumed(_logger, Name, resumedAfter));
                retries = 0;
            }

            string name;
            try
            {
                TcpSockets.Configure(client);
                name = $"{(_tls is null ? "tcp" : "tls")} {TcpSockets.Format(client.RemoteEndPoint)}";
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                client.Dispose();
                ReleaseHandshakeSlot();
                continue;
            }

            if (_tls is null)
            {
                await OfferAsync(new TcpTransport(name, client, tls: null)).ConfigureAwait(false);
            }
            else
            {
                Track(HandshakeAsync(client, name, _tls));
            }
        }
    }

    private async Task HandshakeAsync(Socket client, string name, SslServerAuthenticationOptions tls)
    {
        try
        {
            await HandshakeAndOfferAsync(client, name, tls).ConfigureAwait(false);
        }
        finally
        {
            ReleaseHandshakeSlot(); // queued, refused or given up: the next client may be accepted
        }
    }

    private void ReleaseHandshakeSlot()
    {
        if (_tls is not null)
        {
            _handshakeSlots.Release();
        }
    }

    private async Task HandshakeAndOfferAsync(Socket client, string name, SslServerAuthenticationOptions tls)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        SslStream ssl;
        try
        {
            timeout.CancelAfter(_handshakeTimeout);
            ssl = await TlsHandshake.AsServerAsync($"{name} (on {Name})", client, tls, timeout.Token).ConfigureAwait(false);
        }
        catch (TransportException ex)
        {
            Quietly(() => TransportLog.ConnectionRefused(_logger, Name, ex.Message, ex));
            return;
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            var ex = new TransportException($"{name} (on {Name}): TLS handshake did not finish within {_handshakeTimeout.TotalSeconds:0.###} s.");
            Quietly(() => TransportLog.ConnectionRefused(_logger, Name, ex.Message, ex));
            return;
        }
        catch (OperationCanceledException)
        {
            return; // listener stopping; the socket is closed
        }
        catch (Exception ex)
        {
            // Anything else is still about this one connection; the listener carries on.
            client.Dispose();
            var failure = new TransportException($"{name} (on {Name}): TLS handshake failed: {ex.Message}", ex);
            Quietly(() => TransportLog.ConnectionRefused(_logger, Name, failure.Message, failure));
            return;
        }

        await OfferAsync(new TcpTransport(name, client, ssl)).ConfigureAwait(false);
    }

    private async Task OfferAsync(ITransport transport)
    {
        try
        {
            await _ready.Writer.WriteAsync(transport, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            await transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Track(Task handshake)
    {
        lock (_handshakes)
        {
            _handshakes.Add(handshake);
        }

        _ = handshake.ContinueWith(
            static (done, state) =>
            {
                var set = (HashSet<Task>)state!;
                _ = done.Exception; // observed: a handshake reports its own failures
                lock (set)
                {
                    set.Remove(done);
                }
            },
            _handshakes,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}
