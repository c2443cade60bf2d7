using System.IO.Pipelines;
using System.Threading.Channels;
using Mcp.Frames.Framing;
using Mcp.Frames.Profiles;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Connections;

/// <summary>
/// One peer link over any <see cref="IDuplexPipe"/>: one read loop, one writer, and a dispatcher for both roles —
/// sending requests and subscribing (gateway), answering requests and publishing one-way messages (device) — under a
/// replaceable <see cref="IMessageProfile"/> (MCP/1 by default).
/// </summary>
/// <remarks>
/// <para>
/// No user code runs on the read loop: responses complete waiters whose continuations run asynchronously; received
/// requests go through a bounded queue to handler tasks; one-way messages go through each subscriber's bounded queue.
/// Every wait has a deadline or a cancellation token; all timing uses the configured <see cref="TimeProvider"/>.
/// </para>
/// <para>
/// When the link ends — the peer closes, the transport fails, the heartbeat is lost, or the connection is closed or
/// aborted — every request in flight fails at once with one <see cref="ConnectionClosedException"/> naming why, and
/// <see cref="Completion"/> completes with the reason.
/// </para>
/// </remarks>
public sealed partial class FrameConnection : IAsyncDisposable
{
    private readonly IDuplexPipe _pipe;
    private readonly PipeWriter _output;
    private readonly IMessageProfile _profile;
    private readonly IRequestMatcher _matcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FramesTelemetry _telemetry;
    private readonly KeyValuePair<string, object?> _linkTag;
    private readonly FrameParser _parser;
    private readonly TimeSpan? _stallTimeout;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan? _heartbeatInterval;
    private readonly int _heartbeatMissedLimit;
    private readonly int _handlerConcurrency;
    private readonly int _inboundCapacity;
    private readonly bool _ownsTransport;
    private readonly CancellationTokenSource _shutdown = new(); // the library's own waits only
    private readonly CancellationTokenSource _handlersShutdown = new(); // the token handed to request handlers (user code)
    private readonly TaskCompletionSource<ConnectionClosedInfo> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly InboundRequestQueue _inbound;
    private readonly PayloadBufferPool _requestBuffers;
    private readonly PayloadBufferPool _responseBuffers;
    private readonly Channel<ControlReply> _controlReplies;
    private readonly List<Task> _loops = [];
    private int _started;
    private int _closed;
    private ConnectionClosedInfo? _closeInfo;
    private int _maxPayloadLength;
    private long _lastReceived;
    private ITimer? _heartbeatTimer;

    /// <summary>Creates a connection. Call <see cref="Start"/> to begin reading.</summary>
    /// <param name="transport">The link. When it is an <see cref="ITransport"/>, its name and stall timeout are the defaults, and the connection disposes it when it ends.</param>
    /// <param name="profile">The message profile; <see langword="null"/> for MCP/1.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults. Validated here.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range, or the profile's header lengths are
    /// (request header 0–4 bytes, response header 0–8 bytes); the message names it.</exception>
    public FrameConnection(IDuplexPipe transport, IMessageProfile? profile = null, FrameConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        options ??= new FrameConnectionOptions();
        options.Validate();
        _pipe = transport;
        _output = transport.Output;
        _profile = profile ?? Mcp1Profile.Instance;
        ValidateProfile(_profile);
        _time = options.TimeProvider;
        _rejectedLog = new LogThrottle(_time, TimeSpan.FromSeconds(1));
        _controlDroppedLog = new LogThrottle(_time, TimeSpan.FromSeconds(1));
        _matcher = _profile.CreateMatcher(_time);
        var link = transport as ITransport;
        _ownsTransport = link is not null;
        Name = options.Name ?? link?.Name ?? "link";
        _stallTimeout = options.StallTimeout ?? link?.StallTimeout;
        _requestTimeout = options.RequestTimeout;
        _heartbeatInterval = options.HeartbeatInterval;
        _heartbeatMissedLimit = options.HeartbeatMissedLimit;
        _handlerConcurrency = options.HandlerConcurrency;
        _inboundCapacity = options.InboundRequestQueueCapacity;
        _maxPayloadLength = options.MaxPayloadLength;
        _parser = new FrameParser(options.MaxPayloadLength);
        _logger = options.LoggerFactory.CreateLogger<FrameConnection>();
        _telemetry = FramesTelemetry.For(options.MeterFactory);
        _linkTag = new KeyValuePair<string, object?>("mcp.link", Name);
        _inFlight = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        MaxInFlight = options.MaxInFlight;
        _inbound = new InboundRequestQueue(_inboundCapacity); // TryWrite fails when full; the read loop never waits
        _requestBuffers = new PayloadBufferPool(_handlerConcurrency + Math.Min(_inboundCapacity, 256));
        _responseBuffers = new PayloadBufferPool(options.MaxInFlight + 4);
        _controlReplies = Channel.CreateBounded<ControlReply>(new BoundedChannelOptions(ControlReplyCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = true,
        });
        if (_profile.HeartbeatCommand is { } heartbeat)
        {
            _handlers[heartbeat] = EchoHandler; // answers the peer's heartbeat unless a handler is mapped
        }
    }

    /// <summary>The link's name in messages, logs and metrics.</summary>
    public string Name { get; }

    /// <summary>The clock this connection uses for timeouts, heartbeat and stall recovery.</summary>
    public TimeProvider TimeProvider => _time;

    /// <summary>The message profile.</summary>
    public IMessageProfile Profile => _profile;

    /// <summary>The most requests in flight at once.</summary>
    public int MaxInFlight { get; }

    /// <summary>
    /// The link's payload limit, for both directions. HELLO lowers it to the smaller of the two sides' limits
    /// (PROTOCOL.md §2.3). Setting it applies to the next frame parsed and the next frame sent.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 0–65535.</exception>
    public int MaxPayloadLength
    {
        get => Volatile.Read(ref _maxPayloadLength);
        set
        {
            FrameFormat.ValidateMaxPayloadLength(value, nameof(MaxPayloadLength));
            Volatile.Write(ref _maxPayloadLength, value);
            _parser.MaxPayloadLength = value;
        }
    }

    /// <summary>Completes (never faults) when the connection has ended, with why.</summary>
    public Task<ConnectionClosedInfo> Completion => _completion.Task;

    /// <summary>Whether the connection is running and has not ended.</summary>
    public bool IsOpen => Volatile.Read(ref _started) == 1 && Volatile.Read(ref _closed) == 0;

    /// <summary>The receiver's counters (skipped bytes, bad checksums… PROTOCOL.md §1.1).</summary>
    public FrameParserCounters ReceiverCounters => _parser.Counters;

    /// <summary>A snapshot of this connection's counters.</summary>
    public ConnectionStatistics Statistics => new()
    {
        Receiver = _parser.Counters,
        FramesSent = Volatile.Read(ref _framesSent),
        BytesSent = Volatile.Read(ref _bytesSent),
        RequestsSent = Volatile.Read(ref _requestsSent),
        RequestsAnswered = Volatile.Read(ref _requestsAnswered),
        RequestsTimedOut = Volatile.Read(ref _requestsTimedOut),
        RequestsTimedOutUnsent = Volatile.Read(ref _requestsTimedOutUnsent),
        UnmatchedResponses = Volatile.Read(ref _unmatched),
        MalformedFrames = Volatile.Read(ref _malformed),
        InboundRequestsRejected = Volatile.Read(ref _rejected),
        InboundRequestsHandled = Volatile.Read(ref _handled),
        ControlRepliesDropped = Volatile.Read(ref _controlDropped),
        OneWayReceived = Volatile.Read(ref _oneWayReceived),
        EventsDropped = Volatile.Read(ref _eventsDropped),
        LastRoundTrip = Volatile.Read(ref _lastRoundTripTicks) is var t and > 0 ? TimeSpan.FromTicks(t) : null,
    };

    /// <summary>Starts the read loop, the handler tasks and the heartbeat. Call once.</summary>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    /// <exception cref="ConnectionClosedException">Closed or aborted before it was started: nothing is started.</exception>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException($"Connection {Name} was already started.");
        }

        if (Volatile.Read(ref _closed) != 0)
        {
            throw CreateClosedException(); // its close already ran; loops or a telemetry registration now would outlive it
        }

        Volatile.Write(ref _lastReceived, _time.GetTimestamp());
        _telemetry.Register(this);
        ConnectionLog.Started(_logger, Name, _profile.Name, MaxPayloadLength, _stallTimeout);
        lock (_loops)
        {
            // Only the library's own loops are awaited at close; handler tasks run user code, which may ignore cancellation.
            _loops.Add(Task.Run(ReadLoopAsync));
            _loops.Add(Task.Run(ControlReplyLoopAsync));
        }

        for (int i = 0; i < _handlerConcurrency; i++)
        {
            _ = Task.Run(HandlerLoopAsync);
        }

        if (_heartbeatInterval is { } interval)
        {
            // The read loop may already have ended the link (a peer that hung up at once): Shutdown then found no
            // timer to stop, so it is stopped here. Exchange and Shutdown's exchange of _closed are both full fences,
            // so at least one side sees the other.
            ITimer timer = _time.CreateTimer(static s => ((FrameConnection)s!).OnHeartbeatTick(), this, interval, interval);
            Interlocked.Exchange(ref _heartbeatTimer, timer);
            if (Volatile.Read(ref _closed) != 0)
            {
                timer.Dispose();
            }
        }
    }

    /// <summary>
    /// Closes the connection: requests in flight fail with <see cref="ConnectionClosedException"/>, frames already
    /// queued are flushed, the output is completed, and the loops stop. Safe to call more than once.
    /// </summary>
    /// <returns>A task that completes when the read loop has stopped and the transport is released.</returns>
    public async ValueTask CloseAsync()
    {
        Shutdown(ConnectionCloseReason.ClosedLocally, $"connection {Name} closed locally", null);
        if (Volatile.Read(ref _started) == 1)
        {
            await _completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Ends the connection at once with <see cref="ConnectionCloseReason.Aborted"/>.</summary>
    /// <param name="reason">Why, for the close message.</param>
    public void Abort(string? reason = null) =>
        Shutdown(ConnectionCloseReason.Aborted, $"connection {Name} aborted{(reason is null ? "" : ": " + reason)}", null);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => CloseAsync();

    /// <summary>The connection keeps a request header in 4 bytes (automatic replies) and a response header in 8.</summary>
    private static void ValidateProfile(IMessageProfile profile)
    {
        if (profile.RequestHeaderLength is < 0 or > sizeof(int))
        {
            throw new ArgumentOutOfRangeException(nameof(profile), profile.RequestHeaderLength, $"Profile {profile.Name}: RequestHeaderLength must be between 0 and {sizeof(int)}; {profile.RequestHeaderLength} was given.");
        }

        if (profile.ResponseHeaderLength is < 0 or > sizeof(long))
        {
            throw new ArgumentOutOfRangeException(nameof(profile), profile.ResponseHeaderLength, $"Profile {profile.Name}: ResponseHeaderLength must be between 0 and {sizeof(long)}; {profile.ResponseHeaderLength} was given.");
        }
    }

    internal string DescribeCommand(byte command) => _profile is Mcp1Profile
        ? Mcp1.McpCommand.GetName(command)
        : $"0x{command:X2}";

    internal string DescribeKey(int key) => _matcher.DescribeKey(key);

    private void Shutdown(ConnectionCloseReason reason, string message, Exception? error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        var info = new ConnectionClosedInfo(reason, message, error);
        Volatile.Write(ref _closeInfo, info);
        ConnectionLog.Closed(_logger, Name, reason, message);
        Volatile.Read(ref _heartbeatTimer)?.Dispose();

        // No more requests reach the handlers; what is queued is released once the loops have stopped.
        _inbound.Complete();
        _controlReplies.Writer.TryComplete();

        // Cancellation callbacks registered on the handlers' token are user code: they run on the thread pool, not
        // here (this may be the read loop, a timer or a writer), and a callback that throws or blocks cannot stop the
        // waiters below from failing. The library's waits have a token of their own, whose callbacks run apart from
        // the handlers', so a blocking handler callback cannot hold them up either. Both tokens are cancelled before
        // CancelAsync returns.
        Task cancelled = Task.WhenAll(_shutdown.CancelAsync(), _handlersShutdown.CancelAsync());
        FailAllPending(CreateClosedException());
        CompleteSubscriptions(CreateClosedException());
        _pipe.Input.CancelPendingRead();
        _output.CancelPendingFlush();
        _ = ObserveCancellationCallbacksAsync(cancelled);
        _ = FinishAsync(info);
    }

    private async Task ObserveCancellationCallbacksAsync(Task cancelled)
    {
        try
        {
            await cancelled.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ConnectionLog.CancellationCallbackFailed(_logger, Name, ex);
        }
    }

    private async Task FinishAsync(ConnectionClosedInfo info)
    {
        try
        {
            // Complete the output once no writer holds it; a writer stuck on a dead link was woken by CancelPendingFlush.
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time))
            {
                try
                {
                    await _writeGate.EnterAsync(deadline.Token).ConfigureAwait(false);
                    try
                    {
                        await _output.CompleteAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
                    {
                        // The transport is already gone; nothing left to flush.
                    }
                }
                catch (OperationCanceledException)
                {
                    // A writer never gave the output back; the transport's disposal below ends it.
                }
            }

            await WaitForLoopsAsync().ConfigureAwait(false);
            ReleaseQueuedRequests();
            if (_ownsTransport && _pipe is ITransport transport)
            {
                try
                {
                    await transport.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or TransportException)
                {
                    // Disposal of a failed link: the close reason already says what happened.
                }
            }
        }
        catch (Exception ex)
        {
            // Whatever went wrong while releasing the link, Completion must complete: CloseAsync waits for it.
            ConnectionLog.CloseFailed(_logger, Name, ex);
        }
        finally
        {
            // The loops have stopped and the output is complete: the counters are final.
            _telemetry.Unregister(this);
            _completion.TrySetResult(info);
        }
    }

    private async Task WaitForLoopsAsync()
    {
        Task[] loops;
        lock (_loops)
        {
            loops = [.. _loops];
        }

        foreach (Task loop in loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                // Loops end by cancellation when the connection shuts down.
            }
            catch (Exception ex)
            {
                ConnectionLog.LoopFailed(_logger, Name, ex);
            }
        }
    }

    /// <summary>Returns the buffers of received requests that no handler took (the channel is complete by now).</summary>
    private void ReleaseQueuedRequests()
    {
        while (_inbound.TryRead(out InboundRequest request))
        {
            _requestBuffers.Return(request.Buffer);
        }
    }

    private ConnectionClosedException CreateClosedException()
    {
        ConnectionClosedInfo info = Volatile.Read(ref _closeInfo) ?? new ConnectionClosedInfo(ConnectionCloseReason.None, $"connection {Name} is not open", null);
        return new ConnectionClosedException(info.Message, info.Error) { Reason = info.Reason, LinkName = Name };
    }

    private void ThrowIfNotOpen()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw CreateClosedException();
        }

        if (Volatile.Read(ref _started) == 0)
        {
            throw new InvalidOperationException($"Connection {Name} has not been started; call Start() first.");
        }
    }
}
