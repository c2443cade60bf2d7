using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Resilience;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Devices;

/// <summary>
/// The devices of a gateway: one <see cref="McpSession"/> per link, each device discovered by HELLO and kept with its
/// identity, health (every transition raised as <see cref="HealthChanged"/>), statistics, watched values and
/// configuration sync state. A changed <c>bootId</c> is reported as a reboot; configuration is reconciled after every
/// connect and reboot and after every accepted edit of the desired configuration.
/// </summary>
public sealed partial class DeviceRegistry : IAsyncDisposable
{
    private readonly DeviceRegistryOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<DeviceEntry> _devices = [];
    private readonly Dictionary<DeviceEntry, ReconcileGate> _reconcileGates = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _healthTimer;

    /// <summary>Creates the registry; add links with <see cref="AddLink"/>.</summary>
    /// <param name="options">Settings; validated here.</param>
    public DeviceRegistry(DeviceRegistryOptions? options = null)
    {
        _options = options ?? new DeviceRegistryOptions();
        _options.Validate();
        _logger = _options.LoggerFactory.CreateLogger<DeviceRegistry>();
        _healthTimer = _options.TimeProvider.CreateTimer(static s => ((DeviceRegistry)s!).EvaluateAll(), this, _options.Health.EvaluationInterval, _options.Health.EvaluationInterval);
        if (_options.ConfigSync is { } sync)
        {
            sync.Changed += OnDesiredConfigurationChanged;
        }
    }

    /// <summary>Raised when a link's device answers its first HELLO.</summary>
    public event EventHandler<DeviceEntry>? DeviceDiscovered;

    /// <summary>Raised on every health transition, one at a time per device and in order (keep handlers short).</summary>
    public event EventHandler<DeviceHealthChange>? HealthChanged;

    /// <summary>Raised when a device answers HELLO with a new <c>bootId</c>.</summary>
    public event EventHandler<DeviceEntry>? DeviceRebooted;

    /// <summary>Raised when a device's configuration sync state changes.</summary>
    public event EventHandler<DeviceEntry>? ConfigSyncChanged;

    /// <summary>Every link's entry, in the order added.</summary>
    public IReadOnlyList<DeviceEntry> Devices
    {
        get
        {
            lock (_lock)
            {
                return [.. _devices];
            }
        }
    }

    /// <summary>Finds a discovered device by id.</summary>
    /// <param name="deviceId">The id from HELLO.</param>
    /// <returns>The entry, or <see langword="null"/>.</returns>
    public DeviceEntry? Find(string deviceId) => Devices.FirstOrDefault(d => d.DeviceId == deviceId);

    /// <summary>Adds a link and starts connecting to it.</summary>
    /// <param name="link">How to reach the device and what to watch.</param>
    /// <returns>The device's entry.</returns>
    public DeviceEntry AddLink(DeviceLinkOptions link)
    {
        ArgumentNullException.ThrowIfNull(link);
        McpSessionOptions sessionOptions = link.Session;
        if (ReferenceEquals(sessionOptions.Link.Connection.TimeProvider, TimeProvider.System))
        {
            sessionOptions.Link.Connection.TimeProvider = _options.TimeProvider;
        }

        if (sessionOptions.Link.Connection.LoggerFactory is Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory)
        {
            sessionOptions.Link.Connection.LoggerFactory = _options.LoggerFactory;
        }

        var session = new McpSession(link.Connector, sessionOptions);
        var entry = new DeviceEntry(session);
        lock (_lock)
        {
            _devices.Add(entry);
            _reconcileGates[entry] = new ReconcileGate();
        }

        session.SessionOpened += (_, device) => OnSessionOpened(entry, device);
        session.Rebooted += (_, e) =>
        {
            entry.OnRebooted();
            LogRebooted(_logger, entry.LinkName, PeerText.Escape(e.Current.DeviceId), e.Previous.BootId, e.Current.BootId);
            DeviceRebooted?.Invoke(this, entry);
        };
        // Every change is evaluated at once: a lost link shows Offline, and a link that is up again (its session
        // opened before the link reports Connected) shows its health without waiting for the next interval.
        session.Link.StateChanged += (_, _) => Evaluate(entry);
        foreach (WatchSpec watch in link.Watches)
        {
            ResilientSubscription subscription = session.Subscribe(watch.ToRequest());
            entry.AddWatch(subscription);
            _ = PumpWatchAsync(entry, watch, subscription);
        }

        session.Start();
        return entry;
    }

    /// <summary>Reconciles one device's configuration now (also runs by itself after connects, reboots and edits).</summary>
    /// <param name="entry">The device.</param>
    /// <returns>A task that completes when the reconcile has run.</returns>
    public Task ReconcileAsync(DeviceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ReconcileGate gate;
        lock (_lock)
        {
            gate = _reconcileGates[entry];
        }

        return RunReconcileAsync(entry, gate);
    }

    /// <summary>Stops every link.</summary>
    /// <returns>A task that completes when all links stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _healthTimer.DisposeAsync().ConfigureAwait(false);
        if (_options.ConfigSync is { } sync)
        {
            sync.Changed -= OnDesiredConfigurationChanged;
        }

        foreach (DeviceEntry entry in Devices)
        {
            await entry.Session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void OnSessionOpened(DeviceEntry entry, DeviceInfo device)
    {
        if (entry.Session.CurrentClient?.Connection is not { } connection)
        {
            return; // closed again before this event ran; the next connect reports itself
        }

        bool first = entry.Connection is null;
        entry.OnConnected(connection);
        if (first)
        {
            LogDiscovered(_logger, entry.LinkName, PeerText.Escape(device.DeviceId), device.Firmware.ToString(), device.Modules.Count);
            DeviceDiscovered?.Invoke(this, entry);
        }

        _ = ReadWatchedValuesAsync(entry, entry.Session.CurrentClient);
        _ = ReconcileAsync(entry);
    }

    /// <summary>
    /// An on-change subscription publishes nothing until a value changes: read the watched registers once per
    /// connection so their values are known from the start. An event that arrived meanwhile is newer and wins.
    /// </summary>
    private async Task ReadWatchedValuesAsync(DeviceEntry entry, McpClient? client)
    {
        if (client is null)
        {
            return;
        }

        foreach (SubscribeRequest watch in entry.WatchRequests)
        {
            DateTimeOffset asked = _options.TimeProvider.GetUtcNow();
            int[] values;
            try
            {
                values = await client.ReadAsync(watch.Slot, watch.Register, watch.Count, cancellationToken: _stop.Token).ConfigureAwait(false);
            }
            catch (ProtocolException ex)
            {
                // A malformed answer is the device's fault, and would otherwise leave the value missing unexplained.
                LogWatchReadMalformed(_logger, entry.LinkName, watch.ToString(), ex.Message);
                continue;
            }
            catch (Exception ex) when (ex is FrameConnectionException or OperationCanceledException)
            {
                continue; // the subscription reports values when they come; a refused READ is not the watch's failure
            }

            DateTimeOffset now = _options.TimeProvider.GetUtcNow();
            for (int i = 0; i < values.Length; i++)
            {
                entry.SetValueIfNotNewer(new WatchedValue(watch.Slot, (ushort)(watch.Register + i), values[i], 0, now), asked);
            }
        }
    }

    private void OnDesiredConfigurationChanged(object? sender, EventArgs e)
    {
        foreach (DeviceEntry entry in Devices)
        {
            _ = ReconcileAsync(entry);
        }
    }

    /// <summary>
    /// One reconcile per device at a time. A request while one runs is served by one more pass after it (requests
    /// that come during the same run share that pass); the returned task completes when the pass that serves this
    /// request has run, so a caller that edited the desired configuration sees its outcome.
    /// </summary>
    private Task RunReconcileAsync(DeviceEntry entry, ReconcileGate gate)
    {
        Task requested;
        lock (gate.Lock)
        {
            gate.Next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            requested = gate.Next.Task;
            if (gate.Running)
            {
                return requested;
            }

            gate.Running = true;
        }

        _ = DrainReconcilesAsync(entry, gate);
        return requested;
    }

    private async Task DrainReconcilesAsync(DeviceEntry entry, ReconcileGate gate)
    {
        while (true)
        {
            TaskCompletionSource? pass;
            lock (gate.Lock)
            {
                pass = gate.Next;
                gate.Next = null;
                if (pass is null)
                {
                    gate.Running = false;
                    return;
                }
            }

            try
            {
                await ReconcileOnceAsync(entry).ConfigureAwait(false);
                pass.TrySetResult();
            }
            catch (Exception ex)
            {
                pass.TrySetException(ex);
            }
        }
    }

    private async Task ReconcileOnceAsync(DeviceEntry entry)
    {
        string? deviceId = entry.DeviceId;
        ConfigSyncService? sync = _options.ConfigSync;
        if (deviceId is null || sync is null || !sync.Current.TryGet(deviceId, out IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>> desired))
        {
            SetSync(entry, ConfigSyncStatus.NotConfigured);
            return;
        }

        McpClient? client = entry.Session.CurrentClient;
        if (client is null)
        {
            SetSync(entry, entry.ConfigSync with { State = ConfigSyncState.Pending, Error = "link down; runs again on reconnect" });
            return;
        }

        SetSync(entry, entry.ConfigSync with { State = ConfigSyncState.Pending, Error = null });
        ConfigSyncStatus result;
        try
        {
            result = await ConfigReconciler.ReconcileAsync(client, desired, cancellationToken: _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }

        result = result with { Conflicts = result.Conflicts + entry.ConfigSync.Conflicts };
        if (result.State == ConfigSyncState.Failed)
        {
            LogSyncFailed(_logger, entry.LinkName, PeerText.Escape(deviceId), result.Error ?? "unknown");
        }
        else
        {
            LogSynced(_logger, entry.LinkName, PeerText.Escape(deviceId), result.Version);
        }

        SetSync(entry, result);
    }

    private void SetSync(DeviceEntry entry, ConfigSyncStatus status)
    {
        ConfigSyncStatus before = entry.ConfigSync;
        entry.SetSync(status);
        if (before.State != status.State || before.Version != status.Version || before.Error != status.Error)
        {
            ConfigSyncChanged?.Invoke(this, entry);
        }
    }

    private async Task PumpWatchAsync(DeviceEntry entry, WatchSpec watch, ResilientSubscription subscription)
    {
        try
        {
            await foreach (McpEvent evt in subscription.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                DateTimeOffset now = _options.TimeProvider.GetUtcNow();
                for (int i = 0; i < evt.ValueCount && i < watch.Count; i++)
                {
                    entry.SetValue(new WatchedValue(watch.Slot, (ushort)(watch.Register + i), evt[i], evt.UptimeMs, now));
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The registry stopped.
        }
    }

    private void EvaluateAll()
    {
        foreach (DeviceEntry entry in Devices)
        {
            Evaluate(entry);
        }
    }

    private void Evaluate(DeviceEntry entry)
    {
        // The timer and the link's state changes evaluate from different threads: one at a time per device, so that
        // an older result never overwrites a newer one and the transitions are raised in the order they were made.
        lock (entry.EvaluationLock)
        {
            (DeviceHealth health, string reason) = entry.Evaluate(_options.Health);
            if (entry.SetHealth(health, reason) is { } previous)
            {
                LogHealth(_logger, entry.LinkName, PeerText.Escape(entry.DeviceId) ?? "(unknown)", previous, health, reason);
                HealthChanged?.Invoke(this, new DeviceHealthChange(entry, previous, health, reason));
            }
        }
    }

    private sealed class ReconcileGate
    {
        public readonly Lock Lock = new();
        public bool Running;
        public TaskCompletionSource? Next; // the pass still to run, shared by the requests made since the last one began
    }

    [LoggerMessage(1, LogLevel.Information, "{Link}: discovered device {DeviceId} (firmware {Firmware}, {Modules} modules)")]
    private static partial void LogDiscovered(ILogger logger, string link, string deviceId, string firmware, int modules);

    [LoggerMessage(2, LogLevel.Warning, "{Link}: device {DeviceId} rebooted (bootId {Previous:X8} -> {Current:X8})")]
    private static partial void LogRebooted(ILogger logger, string link, string deviceId, uint previous, uint current);

    [LoggerMessage(3, LogLevel.Information, "{Link}: device {DeviceId} health {Previous} -> {Current}: {Reason}")]
    private static partial void LogHealth(ILogger logger, string link, string deviceId, DeviceHealth previous, DeviceHealth current, string reason);

    [LoggerMessage(4, LogLevel.Information, "{Link}: device {DeviceId} configuration in sync (version {Version})")]
    private static partial void LogSynced(ILogger logger, string link, string deviceId, uint version);

    [LoggerMessage(6, LogLevel.Warning, "{Link}: the READ of watch {Watch} got a malformed answer: {Error}")]
    private static partial void LogWatchReadMalformed(ILogger logger, string link, string watch, string error);

    [LoggerMessage(5, LogLevel.Error, "{Link}: device {DeviceId} configuration sync failed: {Error}")]
    private static partial void LogSyncFailed(ILogger logger, string link, string deviceId, string error);
}
