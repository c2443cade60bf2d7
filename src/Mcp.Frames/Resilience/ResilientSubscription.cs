using System.Runtime.CompilerServices;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Resilience;

/// <summary>
/// A subscription kept alive across reconnects and reboots by an <see cref="McpSession"/>. After each re-subscription
/// the first event reports the estimated gap as lost events (for periodic subscriptions: the periods that passed
/// without an event); on-change subscriptions count the gap in <see cref="Gaps"/>.
/// </summary>
public sealed class ResilientSubscription : IAsyncDisposable
{
    private readonly McpSession _session;
    private readonly OneWaySubscriptionOptions? _queue;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _stoppedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<McpSubscription?> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private McpSubscription? _current;
    private McpSubscription? _ended;
    private McpSubscription? _reading;
    private long _lostOnEnded;
    private RemoteStatusException? _refusal;
    private FrameConnection? _refusedOn; // the connection the refusal came on: it stands while that one is open
    private McpSubscription? _gapBefore; // the re-subscription whose first event carries the reconnect gap
    private long _lastEvent;
    private long _lostAcrossReconnects;
    private long _received;
    private int _resubscriptions;
    private int _gaps;

    internal ResilientSubscription(McpSession session, SubscribeRequest request, OneWaySubscriptionOptions? queue, TimeProvider time)
    {
        _session = session;
        Request = request;
        _queue = queue;
        _time = time;
    }

    /// <summary>What is subscribed.</summary>
    public SubscribeRequest Request { get; }

    /// <summary>
    /// Events lost: <c>eventSeq</c> gaps on every connection (<see cref="McpSubscription.LostEvents"/>: not the events
    /// a full local queue dropped) plus the estimated gaps across reconnects.
    /// </summary>
    public long LostEvents
    {
        get
        {
            lock (_lock)
            {
                return _lostAcrossReconnects + _lostOnEnded + (_reading?.LostEvents ?? 0);
            }
        }
    }

    /// <summary>Events read.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>How many times the subscription was made again on a new connection.</summary>
    public int Resubscriptions => Volatile.Read(ref _resubscriptions);

    /// <summary>Reconnect gaps whose size could not be estimated (on-change subscriptions).</summary>
    public int Gaps => Volatile.Read(ref _gaps);

    /// <summary>Whether the device holds the subscription on the connection open now (it was made and not refused).</summary>
    public bool IsSubscribed => Standing.Subscribed;

    /// <summary>Completes when the subscription is stopped (disposed, or its session disposed).</summary>
    internal Task Stopped => _stoppedSignal.Task;

    /// <summary>
    /// Whether the device holds the subscription on the open connection, and the refusal of the last attempt if the
    /// connection it came on is still open: read together, under one lock, so the two never disagree.
    /// </summary>
    internal (bool Subscribed, RemoteStatusException? Refusal) Standing
    {
        get
        {
            lock (_lock)
            {
                bool subscribed = _current is { IsConnectionOpen: true } && !Stopped.IsCompleted;
                RemoteStatusException? refusal = _refusedOn is { IsOpen: true } ? _refusal : null;
                return (subscribed, subscribed ? null : refusal);
            }
        }
    }

    /// <summary>The id the device gave this subscription on the latest connection it was made on, if any.</summary>
    internal byte? LastSubscriptionId
    {
        get
        {
            lock (_lock)
            {
                return (_current ?? _ended)?.SubscriptionId;
            }
        }
    }

    /// <summary>Whether <see cref="DisposeAsync"/> (or the session's) has stopped it.</summary>
    internal bool IsStopped => Stopped.IsCompleted;

    /// <summary>The device's refusal of the last attempt to subscribe, if it refused (for example NO_SUCH_MODULE).</summary>
    public RemoteStatusException? LastRefusal
    {
        get
        {
            lock (_lock)
            {
                return _refusal;
            }
        }
    }

    /// <summary>Reads events across connections until the subscription is disposed.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The events; each is valid until the loop moves on.</returns>
    public async IAsyncEnumerable<McpEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            McpSubscription? subscription = await NextAsync(cancellationToken).ConfigureAwait(false);
            if (subscription is null)
            {
                yield break;
            }

            lock (_lock)
            {
                _reading = subscription;
            }

            IAsyncEnumerator<McpEvent> events = subscription.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (await MoveNextAsync(events).ConfigureAwait(false))
                {
                    McpEvent evt = events.Current;
                    long extra = TakeGap(subscription);

                    Interlocked.Increment(ref _received);
                    yield return extra > 0 ? evt.WithLostBefore(evt.LostBefore + extra) : evt;
                }
            }
            finally
            {
                await events.DisposeAsync().ConfigureAwait(false);
                lock (_lock)
                {
                    _lostOnEnded += subscription.LostEvents;
                    _reading = null;
                }
            }

            lock (_lock)
            {
                _ended = subscription;
            }
        }
    }

    /// <summary>Stops: unsubscribes on the current connection (best effort) and ends <see cref="ReadAllAsync"/>.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        McpSubscription? current = Stop();

        // Disposed while the link is down: the device may still hold it (a serial device cannot tell that the port
        // was closed), so the session releases its id when it next connects to the same boot.
        _session.Remove(this, releaseOnNextConnect: current is { IsConnectionOpen: false } ? current.SubscriptionId : null);
        if (current is not null)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal McpSubscription? Stop()
    {
        lock (_lock)
        {
            _stoppedSignal.TrySetResult();
            _next.TrySetResult(null);
            McpSubscription? current = _current;
            _current = null;
            return current;
        }
    }

    internal async Task AttachAsync(McpClient client, CancellationToken cancellationToken)
    {
        McpSubscription subscription;
        try
        {
            subscription = await client.SubscribeAsync(Request, _queue, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteStatusException refused)
        {
            // The device refuses this subscription; that must not fail the whole session.
            lock (_lock)
            {
                (_refusal, _refusedOn) = (refused, client.Connection);
            }

            return;
        }

        lock (_lock)
        {
            (_refusal, _refusedOn) = (null, null);
            if (Stopped.IsCompleted)
            {
                _ = subscription.DisposeAsync();
                return;
            }

            if (_current is not null || _ended is not null)
            {
                _resubscriptions++;
                _gapBefore = subscription;
            }

            _current = subscription;
            TaskCompletionSource<McpSubscription?> next = _next;
            _next = new TaskCompletionSource<McpSubscription?>(TaskCreationOptions.RunContinuationsAsynchronously);
            next.TrySetResult(subscription);
        }
    }

    private static async ValueTask<bool> MoveNextAsync(IAsyncEnumerator<McpEvent> events)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (ConnectionClosedException)
        {
            return false; // the connection ended; the session re-subscribes on the next one
        }
    }

    private async Task<McpSubscription?> NextAsync(CancellationToken cancellationToken)
    {
        Task<McpSubscription?> next;
        lock (_lock)
        {
            if (Stopped.IsCompleted)
            {
                return null;
            }

            if (_current is not null && !ReferenceEquals(_current, _ended))
            {
                return _current;
            }

            next = _next.Task;
        }

        return await next.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The reconnect gap, taken (and added to <see cref="LostEvents"/>) by the first event read from the re-subscription
    /// it belongs to: events of the old connection still queued when it ended are read first, and must not take it.
    /// </summary>
    private long TakeGap(McpSubscription from)
    {
        long now = _time.GetTimestamp();
        long last = Interlocked.Exchange(ref _lastEvent, now);
        lock (_lock)
        {
            if (!ReferenceEquals(_gapBefore, from))
            {
                return 0;
            }

            _gapBefore = null;
        }

        if (Request.Mode != SubscribeMode.Periodic || last == 0)
        {
            Interlocked.Increment(ref _gaps);
            return 0;
        }

        long periods = (long)(_time.GetElapsedTime(last, now).TotalMilliseconds / Request.PeriodMs);
        long lost = Math.Max(0, periods - 1);
        lock (_lock)
        {
            _lostAcrossReconnects += lost; // counted where it is estimated
        }

        return lost;
    }
}
