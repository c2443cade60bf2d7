using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;

namespace Mcp.Frames.Devices;

/// <summary>
/// What the registry knows about the device on one link: identity from HELLO, health, statistics, the latest watched
/// values and the configuration sync state. Thread-safe; every getter returns a consistent snapshot.
/// </summary>
public sealed class DeviceEntry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(byte Slot, ushort Register), WatchedValue> _values = [];
    private readonly List<ResilientSubscription> _watches = [];
    private DeviceHealth _health = DeviceHealth.Offline;
    private string _healthReason = "not connected yet";
    private ConfigSyncStatus _sync = ConfigSyncStatus.NotConfigured;
    private DeviceStatistics _closedTotals = new();
    private FrameConnection? _connection;
    private int _reboots;
    private int _connects;
    private long _lastSent;
    private long _lastFailed;

    internal DeviceEntry(McpSession session) => Session = session;

    /// <summary>Held while the registry evaluates this device's health and raises the transition.</summary>
    internal Lock EvaluationLock { get; } = new();

    /// <summary>The link's name (its connector's).</summary>
    public string LinkName => Session.Link.Name;

    /// <summary>The MCP/1 session of this link.</summary>
    public McpSession Session { get; }

    /// <summary>The identity from the latest HELLO; <see langword="null"/> until the first one.</summary>
    public DeviceInfo? Identity => Session.Device;

    /// <summary>The device's id, or <see langword="null"/> before discovery.</summary>
    public string? DeviceId => Identity?.DeviceId;

    /// <summary>The current health.</summary>
    public DeviceHealth Health
    {
        get
        {
            lock (_lock)
            {
                return _health;
            }
        }
    }

    /// <summary>Why the device has its current health.</summary>
    public string HealthReason
    {
        get
        {
            lock (_lock)
            {
                return _healthReason;
            }
        }
    }

    /// <summary>How many reboots were seen (a changed <c>bootId</c>).</summary>
    public int Reboots => Volatile.Read(ref _reboots);

    /// <summary>The configuration sync state.</summary>
    public ConfigSyncStatus ConfigSync
    {
        get
        {
            lock (_lock)
            {
                return _sync;
            }
        }
    }

    /// <summary>Counters over every connection of this link.</summary>
    public DeviceStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                DeviceStatistics totals = _closedTotals;
                long lost = 0;
                foreach (ResilientSubscription watch in _watches)
                {
                    lost += watch.LostEvents;
                }

                DeviceStatistics sum = _connection is null ? totals : Fold(totals, _connection.Statistics);
                return sum with { LostEvents = lost, Connects = _connects };
            }
        }
    }

    /// <summary>Where each watch stands, in the order the watches were given.</summary>
    public IReadOnlyList<WatchStatus> Watches
    {
        get
        {
            ResilientSubscription[] watches;
            lock (_lock)
            {
                watches = [.. _watches];
            }

            return [.. watches.Select(Describe)];

            static WatchStatus Describe(ResilientSubscription watch)
            {
                (bool subscribed, RemoteStatusException? refused) = watch.Standing;
                WatchState state = subscribed ? WatchState.Subscribed : refused is not null ? WatchState.Refused : WatchState.Pending;
                string? refusal = refused is null ? null : $"{refused.StatusName} (0x{refused.Status:X2}){(refused.RemoteMessage is { } text ? ": " + text : "")}";
                return new WatchStatus(watch.Request, state, refusal, watch.Received, watch.LostEvents);
            }
        }
    }

    /// <summary>The latest value of every watched register, ordered by slot and register.</summary>
    public IReadOnlyList<WatchedValue> Values
    {
        get
        {
            lock (_lock)
            {
                return [.. _values.Values.OrderBy(v => v.Slot).ThenBy(v => v.Register)];
            }
        }
    }

    internal FrameConnection? Connection
    {
        get
        {
            lock (_lock)
            {
                return _connection;
            }
        }
    }

    internal void AddWatch(ResilientSubscription watch)
    {
        lock (_lock)
        {
            _watches.Add(watch);
        }
    }

    internal void OnConnected(FrameConnection connection)
    {
        lock (_lock)
        {
            if (_connection is { } old && !ReferenceEquals(old, connection))
            {
                _closedTotals = Fold(_closedTotals, old.Statistics);
            }

            _connection = connection;
            _connects++;
            ConnectionStatistics s = connection.Statistics;
            _lastSent = s.RequestsSent;
            _lastFailed = s.RequestsTimedOut;
        }
    }

    internal void OnRebooted() => Interlocked.Increment(ref _reboots);

    internal IReadOnlyList<SubscribeRequest> WatchRequests
    {
        get
        {
            lock (_lock)
            {
                return [.. _watches.Select(w => w.Request)];
            }
        }
    }

    /// <summary>Stores a value read at <paramref name="asked"/> unless an event delivered a value after that moment.</summary>
    internal void SetValueIfNotNewer(WatchedValue value, DateTimeOffset asked)
    {
        lock (_lock)
        {
            if (!_values.TryGetValue((value.Slot, value.Register), out WatchedValue? current) || current.ReceivedAt < asked)
            {
                _values[(value.Slot, value.Register)] = value;
            }
        }
    }

    internal void SetValue(WatchedValue value)
    {
        lock (_lock)
        {
            _values[(value.Slot, value.Register)] = value;
        }
    }

    internal void SetSync(ConfigSyncStatus status)
    {
        lock (_lock)
        {
            _sync = status;
        }
    }

    /// <summary>Computes the health from the link state and the counters since the last evaluation.</summary>
    internal (DeviceHealth Health, string Reason) Evaluate(DeviceHealthOptions options)
    {
        FrameConnection? connection = Connection;
        if (Session.Link.State != LinkState.Connected || Identity is null)
        {
            // The latest error (a failed reconnect attempt) if any, else how the last connection ended: a heartbeat
            // loss or a hang-up carries no exception, only its message.
            string why = Session.Link.LastError?.Message ?? ClosedMessage(connection) ?? $"link {Session.Link.State}";
            return (DeviceHealth.Offline, $"link {LinkName} is {Session.Link.State}: {why}");
        }

        if (connection is null)
        {
            return (DeviceHealth.Offline, $"link {LinkName} has no open connection");
        }

        if (!connection.IsOpen)
        {
            // Closing: the health stays until the close completes and the link reports it, with the reason (a
            // heartbeat loss, a hang-up), which re-evaluates at once.
            return ClosedMessage(connection) is { } closed
                ? (DeviceHealth.Offline, $"link {LinkName}: {closed}")
                : (Health, $"link {LinkName} is closing");
        }

        TimeSpan silent = connection.SilentFor;
        ConnectionStatistics s = connection.Statistics;
        long sent;
        long failed;
        lock (_lock)
        {
            sent = s.RequestsSent - _lastSent;
            failed = s.RequestsTimedOut - _lastFailed;
            _lastSent = s.RequestsSent;
            _lastFailed = s.RequestsTimedOut;
        }

        if (silent >= options.DegradedAfterSilence)
        {
            return (DeviceHealth.Degraded, $"nothing received for {silent.TotalMilliseconds:0} ms (limit {options.DegradedAfterSilence.TotalMilliseconds:0} ms)");
        }

        if (sent >= options.ErrorRateMinimumSample && (double)failed / sent > options.DegradedErrorRate)
        {
            return (DeviceHealth.Degraded, $"{failed} of {sent} requests failed in the last interval (limit {options.DegradedErrorRate:P0})");
        }

        return (DeviceHealth.Healthy, "answering");
    }

    /// <summary>Stores a new health; returns the previous one when it changed.</summary>
    internal DeviceHealth? SetHealth(DeviceHealth health, string reason)
    {
        lock (_lock)
        {
            _healthReason = reason;
            if (_health == health)
            {
                return null;
            }

            DeviceHealth previous = _health;
            _health = health;
            return previous;
        }
    }

    private static string? ClosedMessage(FrameConnection? connection) =>
        connection is { Completion.IsCompletedSuccessfully: true } ? connection.Completion.Result.Message : null;

    private static DeviceStatistics Fold(DeviceStatistics totals, ConnectionStatistics s) => totals with
    {
        RoundTrip = s.LastRoundTrip ?? totals.RoundTrip,
        FramesReceived = totals.FramesReceived + s.Receiver.Delivered,
        BytesReceived = totals.BytesReceived + s.Receiver.DeliveredBytes,
        FramesSent = totals.FramesSent + s.FramesSent,
        BytesSent = totals.BytesSent + s.BytesSent,
        ChecksumErrors = totals.ChecksumErrors + s.Receiver.BadChecksum,
        Timeouts = totals.Timeouts + s.RequestsTimedOut,
        UnmatchedAnswers = totals.UnmatchedAnswers + s.UnmatchedResponses,
    };
}
