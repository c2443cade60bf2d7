using System.Threading.Channels;
using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>
/// The device side of one link: answers MCP/1 requests through the library's device role (one handler for every
/// request command) and publishes the link's subscriptions. Each link has its own session — negotiated payload size,
/// subscriptions, fault streams — over the one shared <see cref="SimDevice"/>.
/// </summary>
internal sealed partial class DeviceSession : IAsyncDisposable
{
    private readonly SimDevice _device;
    private readonly FaultController _faults;
    private readonly SimRequestLog _log;
    private readonly FrameConnection _connection;
    private readonly TimeProvider _time;
    private readonly FaultRandom _requestRandom;
    private readonly Func<Task> _requestReboot;
    private readonly ILogger _logger;
    private readonly int _maxSubscriptions;
    private readonly Lock _subscriptionsLock = new();
    private readonly Dictionary<byte, Subscription> _subscriptions = [];
    private readonly Channel<PendingEvent> _events;
    private readonly CancellationTokenSource _stop = new();
    private Task _eventLoop = Task.CompletedTask;
    private byte _nextSubscriptionId;
    private long _eventsSent;
    private long _eventsDropped;
    private int _disposed;

    public DeviceSession(SessionSettings settings, FrameConnection connection, int linkNumber, bool closesOnReboot)
    {
        _device = settings.Device;
        _faults = settings.Faults;
        _log = settings.Log;
        _time = settings.Device.TimeProvider;
        _requestReboot = settings.RequestReboot;
        _logger = settings.Logger;
        _maxSubscriptions = settings.MaxSubscriptionsPerLink;
        _connection = connection;
        LinkNumber = linkNumber;
        ClosesOnReboot = closesOnReboot;
        _requestRandom = new FaultRandom(_faults.Current.Seed, FaultRandom.StreamOf(linkNumber, 2));
        _events = Channel.CreateBounded<PendingEvent>(new BoundedChannelOptions(settings.EventQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: the event is counted as dropped
        });
    }

    /// <summary>The link's number (0, 1… in the order links were served); it selects the link's fault streams.</summary>
    public int LinkNumber { get; }

    /// <summary>The link's name.</summary>
    public string Name => _connection.Name;

    /// <summary>Whether RESET closes this link (TCP, in-memory) rather than only resetting its session (serial, pty).</summary>
    public bool ClosesOnReboot { get; }

    /// <summary>The connection.</summary>
    public FrameConnection Connection => _connection;

    /// <summary>Completes when the link has ended.</summary>
    public Task<ConnectionClosedInfo> Completion => _connection.Completion;

    /// <summary>Subscriptions now active on this link.</summary>
    public int SubscriptionCount
    {
        get
        {
            lock (_subscriptionsLock)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>EVENTs written to the link.</summary>
    public long EventsSent => Interlocked.Read(ref _eventsSent);

    /// <summary>EVENTs lost because the link's queue was full or they no longer fit the payload limit.</summary>
    public long EventsDropped => Interlocked.Read(ref _eventsDropped);

    public void Start()
    {
        RequestHandler handler = HandleAsync;
        for (int command = 0; command < 0x80; command++)
        {
            if (McpCommand.IsRequest((byte)command))
            {
                _connection.MapRequestHandler((byte)command, handler);
            }
        }

        _connection.Start();
        _eventLoop = Task.Run(SendEventsAsync);
        _ = _connection.Completion.ContinueWith(
            static (_, state) => ((DeviceSession)state!).OnClosed(),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>A RESET on a link that stays open (serial, pty): subscriptions die, the payload limit is back to the device's own.</summary>
    public void ResetForReboot()
    {
        DropSubscriptions();
        while (_events.Reader.TryRead(out _))
        {
            // EVENTs of subscriptions that no longer exist are not sent after the reboot.
        }

        _connection.MaxPayloadLength = _device.MaxPayload;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _connection.CloseAsync().ConfigureAwait(false);
        OnClosed();
        await _eventLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private void OnClosed()
    {
        DropSubscriptions();
        _events.Writer.TryComplete();
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed by DisposeAsync.
        }
    }

    private void DropSubscriptions()
    {
        Subscription[] dropped;
        lock (_subscriptionsLock)
        {
            dropped = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }

        foreach (Subscription subscription in dropped)
        {
            subscription.Dispose();
        }
    }

    private void Publish(PendingEvent evt)
    {
        if (!_events.Writer.TryWrite(evt))
        {
            Interlocked.Increment(ref _eventsDropped); // the subscriber sees the eventSeq gap
        }
    }

    private async Task SendEventsAsync()
    {
        CancellationToken ct = _stop.Token;
        try
        {
            await foreach (PendingEvent evt in _events.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (EventPayload.HeaderLength + (evt.Values.Length * 4) > _connection.MaxPayloadLength)
                {
                    Interlocked.Increment(ref _eventsDropped); // a later HELLO lowered the limit below this subscription's size
                    continue;
                }

                await _connection.SendOneWayAsync(McpCommand.Event, new EventPayload(evt.SubscriptionId, evt.EventSeq, evt.UptimeMs, evt.Values), ct).ConfigureAwait(false);
                Interlocked.Increment(ref _eventsSent);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException)
        {
            // The link ended.
        }
        catch (Exception ex)
        {
            SessionLog.EventLoopFailed(_logger, Name, ex);
        }
    }
}
