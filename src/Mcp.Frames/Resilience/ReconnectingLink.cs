using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Mcp.Frames.Connections;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Resilience;

/// <summary>
/// A link that survives the network and the cable: it opens connections through an <see cref="ITransportConnector"/>,
/// runs a session-open hook on each, and when a connection ends it reconnects with exponential backoff and full
/// jitter. States: Disconnected → Connecting → Connected → Reconnecting → … → Stopped or Faulted.
/// </summary>
public sealed class ReconnectingLink : IAsyncDisposable
{
    private static readonly Random SharedRandom = Random.Shared;
    private readonly ITransportConnector _connector;
    private readonly ReconnectingLinkOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private int _connectFailures; // in a row, on the connect loop only
    private string? _loggedConnectFailure;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Channel<LinkStateChange>> _watchers = [];
    private TaskCompletionSource<FrameConnection> _connected = NewConnectedSource();
    private FrameConnection? _current;
    private LinkState _state = LinkState.Disconnected;
    private Task? _run;
    private Exception? _lastError;
    private int _attempt;

    /// <summary>Creates the link; call <see cref="Start"/> to connect.</summary>
    /// <param name="connector">Opens the transport (TCP, TLS, serial…).</param>
    /// <param name="options">Settings; validated here.</param>
    public ReconnectingLink(ITransportConnector connector, ReconnectingLinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connector);
        _options = options ?? new ReconnectingLinkOptions();
        _options.Validate();
        _connector = connector;
        _time = _options.Connection.TimeProvider;
        _random = _options.Random ?? SharedRandom;
        _logger = _options.Connection.LoggerFactory.CreateLogger<ReconnectingLink>();
    }

    /// <summary>
    /// Raised on every state change, on the link's own task. Keep handlers short and non-blocking; a handler that
    /// throws is logged and does not stop the link.
    /// </summary>
    public event EventHandler<LinkStateChange>? StateChanged;

    /// <summary>The link's name (the connector's).</summary>
    public string Name => _connector.Name;

    /// <summary>The current state.</summary>
    public LinkState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The open connection, or <see langword="null"/> while down.</summary>
    public FrameConnection? Current => Volatile.Read(ref _current);

    /// <summary>The last connect or session error, if any.</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    /// <summary>Starts connecting in the background.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start()
    {
        lock (_lock)
        {
            if (_run is not null)
            {
                throw new InvalidOperationException($"Link {Name} was already started.");
            }

            _run = Task.Run(RunAsync);
        }
    }

    /// <summary>
    /// Returns the open connection, waiting for the link to come up until <paramref name="timeout"/> — or failing at
    /// once when the link is down and <see cref="ReconnectingLinkOptions.FailFastWhenDown"/> is set.
    /// </summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> for the connection's request timeout.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The open connection.</returns>
    /// <exception cref="ConnectionClosedException">The link is down and fails fast, or it was stopped or faulted.</exception>
    /// <exception cref="RequestTimeoutException">The link did not come up in time.</exception>
    public async ValueTask<FrameConnection> GetConnectionAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        FrameConnection? current = Current;
        if (current is { IsOpen: true })
        {
            return current;
        }

        TimeSpan wait = timeout ?? _options.Connection.RequestTimeout;
        long started = _time.GetTimestamp();
        while (true)
        {
            Task<FrameConnection> connected;
            lock (_lock)
            {
                if (_state is LinkState.Stopped or LinkState.Faulted)
                {
                    throw Down();
                }

                // A connection can close before the link's loop sees it go (its Completion waits for the transport
                // to be released); until then it would still be handed out. It is down: wait for the next one.
                if (_connected.Task is { IsCompletedSuccessfully: true, Result.IsOpen: false })
                {
                    _connected = NewConnectedSource();
                }

                connected = _connected.Task;
            }

            if (_options.FailFastWhenDown && !connected.IsCompleted)
            {
                throw Down();
            }

            TimeSpan left = wait - _time.GetElapsedTime(started);
            FrameConnection connection;
            try
            {
                connection = await connected.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new RequestTimeoutException($"Link {Name} did not come up within {wait.TotalMilliseconds:0} ms (state {State}, attempt {Volatile.Read(ref _attempt)}{DescribeLastError()}).")
                {
                    LinkName = Name,
                    Timeout = wait,
                };
            }

            if (connection.IsOpen)
            {
                return connection;
            }
        }
    }

    /// <summary>
    /// Yields every state change from now on, until the link stops. Each watcher has its own bounded buffer
    /// (oldest changes dropped when it falls behind).
    /// </summary>
    /// <param name="cancellationToken">Stops watching.</param>
    /// <returns>The changes.</returns>
    public async IAsyncEnumerable<LinkStateChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateBounded<LinkStateChange>(new BoundedChannelOptions(_options.StateHistoryCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            if (_state is LinkState.Stopped or LinkState.Faulted)
            {
                yield break;
            }

            _watchers.Add(channel);
        }

        try
        {
            await foreach (LinkStateChange change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Stops reconnecting and closes the current connection.</summary>
    /// <returns>A task that completes when the link has stopped.</returns>
    public async ValueTask StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? run;
        lock (_lock)
        {
            run = _run;
        }

        if (run is not null)
        {
            await run.ConfigureAwait(false);
        }
        else
        {
            SetState(LinkState.Stopped, "stopped before start", null);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => StopAsync();

    private static TaskCompletionSource<FrameConnection> NewConnectedSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync()
    {
        CancellationToken stop = _stop.Token;
        bool everConnected = false;

        // Two counts: the failed connect attempts in a row (what MaxAttempts bounds; a connection that opens starts it
        // over), and the backoff step, which also grows with connections that die young, so that a flapping link
        // keeps backing off; only a connection that stayed up for ResetAfter starts the backoff over.
        int failures = 0;
        int step = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Volatile.Write(ref _attempt, failures + 1);
                SetState(everConnected || failures > 0 ? LinkState.Reconnecting : LinkState.Connecting, $"connecting to {_connector.Name} (attempt {failures + 1})", null);
                FrameConnection? connection = await TryConnectAsync(stop).ConfigureAwait(false);
                if (connection is null)
                {
                    failures++;
                    if (_options.Backoff.MaxAttempts is { } max && failures >= max)
                    {
                        SetState(LinkState.Faulted, $"gave up on {_connector.Name} after {failures} failed attempts in a row{DescribeLastError()}", LastError);
                        FailWaiters();
                        return;
                    }

                    await BackoffAsync(++step, failures + 1, stop).ConfigureAwait(false);
                    continue;
                }

                everConnected = true;
                failures = 0;
                long connectedAt = _time.GetTimestamp();
                Volatile.Write(ref _current, connection);
                TaskCompletionSource<FrameConnection> waiters;
                lock (_lock)
                {
                    waiters = _connected;
                }

                SetState(LinkState.Connected, $"connected to {_connector.Name}", null);
                waiters.TrySetResult(connection);

                ConnectionClosedInfo closed;
                using (stop.UnsafeRegister(static c => ((FrameConnection)c!).Abort("link stopped"), connection))
                {
                    closed = await connection.Completion.ConfigureAwait(false);
                }

                Volatile.Write(ref _current, null);
                lock (_lock)
                {
                    // A caller that found the connection closed may have put a new source in already; keep its waiters.
                    if (_connected.Task.IsCompleted)
                    {
                        _connected = NewConnectedSource();
                    }
                }

                if (stop.IsCancellationRequested)
                {
                    break;
                }

                step = _time.GetElapsedTime(connectedAt) >= _options.Backoff.ResetAfter ? 1 : step + 1;
                Volatile.Write(ref _lastError, closed.Error);
                Volatile.Write(ref _attempt, 1);
                SetState(LinkState.Reconnecting, closed.Message, closed.Error);
                await BackoffAsync(step, 1, stop).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (stop.IsCancellationRequested)
        {
            // Stopped: whatever the connect or the session hook was doing when the stop came (a refused socket, a
            // port that would not open) is no longer anyone's concern.
            if (ex is not OperationCanceledException)
            {
                LinkLog.ErrorWhileStopping(_logger, Name, ex.Message);
            }
        }

        FrameConnection? last = Interlocked.Exchange(ref _current, null);
        if (last is not null)
        {
            await last.CloseAsync().ConfigureAwait(false);
        }

        SetState(LinkState.Stopped, $"link {_connector.Name} stopped", null);
        FailWaiters();
    }

    private async Task<FrameConnection?> TryConnectAsync(CancellationToken stop)
    {
        ITransport transport;
        try
        {
            transport = await _connector.ConnectAsync(stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            Volatile.Write(ref _lastError, ex);
            NoteConnectFailure(ex.Message);
            return null;
        }

        var connection = new FrameConnection(transport, _options.Profile, _options.Connection);
        connection.Start();
        if (_options.OnConnected is { } hook)
        {
            try
            {
                await hook(connection, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                Volatile.Write(ref _lastError, ex);
                NoteConnectFailure($"connected, but the session did not open: {ex.Message}");
                connection.Abort($"session open failed: {ex.Message}");
                await connection.Completion.ConfigureAwait(false);
                return null;
            }
            catch
            {
                await connection.CloseAsync().ConfigureAwait(false);
                throw;
            }
        }

        if (_connectFailures > 0)
        {
            LinkLog.ConnectedAfterFailures(_logger, Name, _connectFailures);
            (_connectFailures, _loggedConnectFailure) = (0, null);
        }

        return connection;
    }

    /// <summary>
    /// A link that cannot connect says so in the log once, and again only when the reason changes: the state changes
    /// report every attempt, but someone reading the log of a gateway whose device is missing must see why.
    /// </summary>
    private void NoteConnectFailure(string reason)
    {
        _connectFailures++;
        if (reason != _loggedConnectFailure)
        {
            _loggedConnectFailure = reason;
            LinkLog.ConnectFailed(_logger, Name, reason);
        }
    }

    /// <summary>Waits out the backoff before the next attempt, reporting the delay.</summary>
    /// <param name="step">The backoff step: 1 for the first wait after a healthy connection or the first failure.</param>
    /// <param name="nextAttempt">The number of the attempt the wait comes before (what the change reports).</param>
    /// <param name="stop">Stops waiting.</param>
    private async Task BackoffAsync(int step, int nextAttempt, CancellationToken stop)
    {
        TimeSpan delay = _options.Backoff.NextDelay(step, _random);
        Volatile.Write(ref _attempt, nextAttempt);
        SetState(LinkState.Reconnecting, $"next attempt ({nextAttempt}) in {delay.TotalMilliseconds:0} ms (cap {_options.Backoff.Cap(step).TotalMilliseconds:0} ms){DescribeLastError()}", LastError, delay);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, stop).ConfigureAwait(false);
        }
    }

    private void SetState(LinkState state, string reason, Exception? error, TimeSpan? delay = null)
    {
        LinkStateChange change;
        Channel<LinkStateChange>[] watchers;
        lock (_lock)
        {
            if (_state == state && delay is null && state != LinkState.Reconnecting)
            {
                return;
            }

            change = new LinkStateChange(_state, state, Volatile.Read(ref _attempt), reason, error) { Delay = delay };
            _state = state;
            watchers = [.. _watchers];
        }

        foreach (Channel<LinkStateChange> watcher in watchers)
        {
            watcher.Writer.TryWrite(change);
            if (state is LinkState.Stopped or LinkState.Faulted)
            {
                watcher.Writer.TryComplete();
            }
        }

        if (StateChanged is not { } handlers)
        {
            return;
        }

        // User code: one handler that throws must neither end the reconnect loop nor keep the others from running.
        foreach (EventHandler<LinkStateChange> handler in handlers.GetInvocationList().Cast<EventHandler<LinkStateChange>>())
        {
            try
            {
                handler(this, change);
            }
            catch (Exception ex)
            {
                LinkLog.StateHandlerFailed(_logger, Name, state, ex);
            }
        }
    }

    private void FailWaiters()
    {
        TaskCompletionSource<FrameConnection> waiters;
        lock (_lock)
        {
            waiters = _connected;
        }

        if (waiters.TrySetException(Down()))
        {
            _ = waiters.Task.Exception; // observed here: callers that wait get it through WaitAsync
        }
    }

    private ConnectionClosedException Down() => new($"Link {Name} is down (state {State}, attempt {Volatile.Read(ref _attempt)}{DescribeLastError()}).", LastError)
    {
        LinkName = Name,
        Reason = ConnectionCloseReason.None,
    };

    private string DescribeLastError() => LastError is { } e ? $"; last error: {e.Message}" : "";
}
