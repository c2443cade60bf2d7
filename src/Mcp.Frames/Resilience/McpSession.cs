using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Resilience;

/// <summary>
/// An MCP/1 device session that survives reconnects: each new connection opens with HELLO (a changed
/// <c>bootId</c> is reported as a reboot), and the user's subscriptions are re-subscribed transparently, the gap
/// reported as lost events. Calls made while the link is down wait for it (or fail fast, by option).
/// </summary>
public sealed class McpSession : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<ResilientSubscription> _subscriptions = [];
    private readonly HashSet<byte> _toRelease = []; // ids of subscriptions disposed while the link was down
    private readonly TimeSpan? _waitForLink;
    private readonly TimeSpan? _bootIdCheckInterval;
    private readonly TimeProvider _time;
    private readonly BackoffPolicy _resendBackoff;
    private readonly TimeSpan _resendFloor;
    private readonly ILogger _logger;
    private McpClient? _client;
    private DeviceInfo? _device;

    /// <summary>Creates the session; call <see cref="Start"/> to connect.</summary>
    /// <param name="connector">Opens the transport.</param>
    /// <param name="options">Settings.</param>
    public McpSession(ITransportConnector connector, McpSessionOptions? options = null)
    {
        options ??= new McpSessionOptions();
        if (options.BootIdCheckInterval is { } check && check <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), check, "McpSessionOptions.BootIdCheckInterval must be positive (or null for no checks).");
        }

        if (options.Link is null)
        {
            throw new ArgumentException("McpSessionOptions.Link must be set.", nameof(options));
        }

        _waitForLink = options.WaitForLink;
        _bootIdCheckInterval = options.BootIdCheckInterval;
        _time = options.Link.Connection.TimeProvider;
        _resendBackoff = options.Link.Backoff;
        _resendFloor = options.Link.Connection.RequestTimeout;
        _logger = options.Link.Connection.LoggerFactory.CreateLogger<McpSession>();

        // The session's hook goes on a copy: the caller's options may serve other sessions, each with its own HELLO
        // and subscriptions.
        Func<FrameConnection, CancellationToken, Task>? userHook = options.Link.OnConnected;
        ReconnectingLinkOptions link = options.Link.WithOnConnected(async (connection, ct) =>
        {
            await OpenSessionAsync(connection, ct).ConfigureAwait(false);
            if (userHook is not null)
            {
                await userHook(connection, ct).ConfigureAwait(false);
            }
        });
        Link = new ReconnectingLink(connector, link);
    }

    /// <summary>
    /// Raised after each successful HELLO, once the subscriptions are made again, with the device's identity (on the
    /// link's task; keep it short).
    /// </summary>
    public event EventHandler<DeviceInfo>? SessionOpened;

    /// <summary>Raised when HELLO reports another <c>bootId</c> than the previous session: the device rebooted.</summary>
    public event EventHandler<DeviceRebootedEventArgs>? Rebooted;

    /// <summary>The reconnecting link underneath.</summary>
    public ReconnectingLink Link { get; }

    /// <summary>The device's identity from the latest HELLO, if any.</summary>
    public DeviceInfo? Device => Volatile.Read(ref _device);

    /// <summary>The client of the current connection, or <see langword="null"/> while down.</summary>
    public McpClient? CurrentClient => Volatile.Read(ref _client) is { Connection.IsOpen: true } c ? c : null;

    /// <summary>Starts connecting.</summary>
    public void Start() => Link.Start();

    /// <summary>Runs a call with the current connection's client, waiting for the link first.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="call">The call.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The call's result.</returns>
    public async Task<T> InvokeAsync<T>(Func<McpClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        McpClient client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        return await call(client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the current client, waiting for the link to come up.</summary>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The client of an open connection whose session is open.</returns>
    public async Task<McpClient> GetClientAsync(CancellationToken cancellationToken = default)
    {
        FrameConnection connection = await Link.GetConnectionAsync(_waitForLink, cancellationToken).ConfigureAwait(false);
        McpClient? client = Volatile.Read(ref _client);
        return client is not null && ReferenceEquals(client.Connection, connection) ? client : new McpClient(connection);
    }

    /// <summary>
    /// Subscribes now (if connected) and again after every reconnect or reboot. Events flow through
    /// <see cref="ResilientSubscription.ReadAllAsync"/> across connections.
    /// </summary>
    /// <param name="request">What to subscribe to.</param>
    /// <param name="queue">Queue settings per connection; <see langword="null"/> for the defaults.</param>
    /// <returns>The subscription; dispose it to stop.</returns>
    public ResilientSubscription Subscribe(SubscribeRequest request, OneWaySubscriptionOptions? queue = null)
    {
        var subscription = new ResilientSubscription(this, request, queue, _time);
        McpClient? client;
        lock (_lock)
        {
            // Under the lock that a session open takes to publish its client and list the subscriptions: either this
            // one is on that list, or it sees the new client here, never both.
            _subscriptions.Add(subscription);
            client = CurrentClient;
        }

        if (client is not null)
        {
            _ = AttachWhileOpenAsync(subscription, client);
        }

        return subscription;
    }

    /// <summary>Stops the link and every subscription.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        ResilientSubscription[] subscriptions;
        lock (_lock)
        {
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }

        foreach (ResilientSubscription subscription in subscriptions)
        {
            subscription.Stop();
        }

        await Link.StopAsync().ConfigureAwait(false);
    }

    internal void Remove(ResilientSubscription subscription, byte? releaseOnNextConnect)
    {
        lock (_lock)
        {
            _subscriptions.Remove(subscription);
            if (releaseOnNextConnect is { } id)
            {
                _toRelease.Add(id);
            }
        }
    }

    /// <summary>
    /// Subscribes on a connection that is already open, in the background. A SUBSCRIBE that gets no answer is sent
    /// again for as long as this connection is open (when it ends, the next session subscribes): the first time at
    /// once (a lost frame), then after the link's backoff caps (<see cref="BackoffPolicy.Cap"/> 1, 2, …), each at
    /// least one request timeout, so that a device that answers everything but SUBSCRIBE is not asked, and logged,
    /// once per timeout forever. Every outcome is observed here.
    /// </summary>
    private async Task AttachWhileOpenAsync(ResilientSubscription subscription, McpClient client)
    {
        for (int attempt = 1; client.Connection.IsOpen && !subscription.IsStopped; attempt++)
        {
            try
            {
                await AttachAsync(subscription, client, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (RequestTimeoutException ex)
            {
                TimeSpan pause = attempt == 1 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(_resendBackoff.Cap(attempt - 1).Ticks, _resendFloor.Ticks));
                LinkLog.SubscribeUnanswered(_logger, Link.Name, subscription.Request.ToString(), attempt, pause.TotalMilliseconds, ex.Message);
                if (pause > TimeSpan.Zero && !await PauseWhileOpenAsync(client.Connection, subscription, pause).ConfigureAwait(false))
                {
                    return; // the link ended, or the subscription was disposed, meanwhile: the next session subscribes
                }
            }
            catch (Exception ex) when (ex is ConnectionClosedException or OperationCanceledException)
            {
                return; // the link ended: the next session subscribes
            }
            catch (Exception ex)
            {
                // A malformed answer, a request the link refused (FrameConnectionException), or one it cannot carry
                // (ArgumentException): sending it again would fail the same way.
                LinkLog.SubscribeFailed(_logger, Link.Name, subscription.Request.ToString(), ex);
                return;
            }
        }
    }

    /// <summary>
    /// Waits <paramref name="pause"/> on the session's clock; <see langword="false"/> when the connection ended or the
    /// subscription was stopped first.
    /// </summary>
    private async Task<bool> PauseWhileOpenAsync(FrameConnection connection, ResilientSubscription subscription, TimeSpan pause)
    {
        using var timer = new CancellationTokenSource();
        Task delay = Task.Delay(pause, _time, timer.Token);
        Task first = await Task.WhenAny(delay, connection.Completion, subscription.Stopped).ConfigureAwait(false);
        timer.Cancel(); // ended another way first: the timer goes with it
        return first == delay && connection.IsOpen && !subscription.IsStopped;
    }

    /// <summary>Subscribes; a refusal by the device does not fail the session, and is logged (with its status and message).</summary>
    private async Task AttachAsync(ResilientSubscription subscription, McpClient client, CancellationToken ct)
    {
        await subscription.AttachAsync(client, ct).ConfigureAwait(false);
        if (subscription.LastRefusal is { } refused)
        {
            LinkLog.SubscribeRefused(_logger, Link.Name, subscription.Request.ToString(), refused.Message);
        }
    }

    private async Task OpenSessionAsync(FrameConnection connection, CancellationToken ct)
    {
        var client = new McpClient(connection);
        DeviceInfo device = await client.HelloAsync(cancellationToken: ct).ConfigureAwait(false);
        if (Volatile.Read(ref _device) is { } before && before.BootId == device.BootId)
        {
            await ReleaseStaleSubscriptionsAsync(client, ct).ConfigureAwait(false);
        }
        else
        {
            lock (_lock)
            {
                _toRelease.Clear(); // a new boot holds no subscriptions
            }
        }

        DeviceInfo? previous = Interlocked.Exchange(ref _device, device);
        ResilientSubscription[] subscriptions;
        lock (_lock)
        {
            // Published and listed at once (see Subscribe): a subscription made from here on attaches itself.
            Volatile.Write(ref _client, client);
            subscriptions = [.. _subscriptions];
        }

        if (previous is not null && previous.BootId != device.BootId)
        {
            Rebooted?.Invoke(this, new DeviceRebootedEventArgs(previous, device));
        }

        foreach (ResilientSubscription subscription in subscriptions)
        {
            await AttachAsync(subscription, client, ct).ConfigureAwait(false);
        }

        // Raised once the subscriptions are in place, so that what its handlers change on the device (a configuration
        // reconcile, say) is seen by on-change subscriptions.
        SessionOpened?.Invoke(this, device);

        if (_bootIdCheckInterval is { } interval)
        {
            _ = CheckBootIdAsync(client, device.BootId, interval);
        }
    }

    /// <summary>
    /// The same boot as before: the device may still hold the previous connection's subscriptions, and those disposed
    /// while the link was down. A serial device cannot tell that the port was closed and opened again, so they would
    /// keep publishing, and count against the device's limit, after every reconnect. They are unsubscribed before anything is subscribed on the new
    /// connection (so no id can name a new subscription); a device that dropped them with the link (TCP) answers
    /// for ids it does not know, and that answer does not matter (PROTOCOL.md §2.3).
    /// </summary>
    private async Task ReleaseStaleSubscriptionsAsync(McpClient client, CancellationToken ct)
    {
        byte[] ids;
        lock (_lock)
        {
            ids = [.. _subscriptions.Select(s => s.LastSubscriptionId).OfType<byte>().Concat(_toRelease).Distinct()];
        }

        foreach (byte id in ids)
        {
            try
            {
                await client.UnsubscribeAsync(id, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (RemoteStatusException)
            {
                // Not known on this link: nothing to release.
            }

            lock (_lock)
            {
                _toRelease.Remove(id); // kept until released: a release that fails is tried at the next connect
            }
        }
    }

    /// <summary>
    /// Asks for the boot id every <paramref name="interval"/> until the connection ends; a changed one closes the
    /// connection, so that the reconnect opens a new session (reboot reported, subscriptions made again).
    /// </summary>
    private async Task CheckBootIdAsync(McpClient client, uint bootId, TimeSpan interval)
    {
        FrameConnection connection = client.Connection;
        while (true)
        {
            using (var wait = new CancellationTokenSource())
            {
                Task delay = Task.Delay(interval, _time, wait.Token);
                if (await Task.WhenAny(delay, connection.Completion).ConfigureAwait(false) != delay)
                {
                    await wait.CancelAsync().ConfigureAwait(false);
                    return; // the connection ended; the next one runs its own check
                }
            }

            DeviceInfo now;
            try
            {
                now = await client.HelloAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FrameConnectionException or OperationCanceledException or InvalidOperationException)
            {
                if (!connection.IsOpen)
                {
                    return;
                }

                continue; // an unanswered check is the heartbeat's business, not a reboot
            }

            if (now.BootId != bootId)
            {
                connection.Abort($"device {PeerText.Escape(now.DeviceId)} restarted behind the open link (bootId {bootId:X8} -> {now.BootId:X8}); opening a new session");
                return;
            }
        }
    }
}
