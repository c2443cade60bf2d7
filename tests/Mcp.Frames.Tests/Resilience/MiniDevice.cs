using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>
/// A minimal MCP/1 device for resilience tests: answers HELLO and SUBSCRIBE, and publishes events only when the
/// test says so, so timing stays in the test's hands.
/// </summary>
internal sealed class MiniDevice : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<(byte SubId, ushort Seq)> _subscriptions = [];
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private readonly List<byte> _unsubscribes = [];
    private readonly SemaphoreSlim _hung = new(0);
    private readonly SemaphoreSlim _unsubscribed = new(0);

    public MiniDevice(ITransport transport, uint bootId, TimeProvider time, string deviceId = "mini")
    {
        BootId = bootId;
        Transport = transport;
        Connection = new FrameConnection(transport, options: new FrameConnectionOptions { Name = "device", TimeProvider = time });
        Connection.MapRequestHandler(McpCommand.Hello, (req, ct) => req.ReplyOkAsync(new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = 256,
            DeviceId = deviceId,
            Firmware = new Version(1, 0, 0),
            BootId = BootId,
            Modules = [new ModuleInfo(1, 7, 1, "values")],
        }, ct));
        Connection.MapRequestHandler(McpCommand.Subscribe, async (req, ct) =>
        {
            SubscribeRequest request = SubscribeRequest.Read(req.Body.Span);
            if (RefuseSubscribes || request.Slot == RefusedSlot)
            {
                await req.ReplyStatusAsync(McpStatus.NoSuchModule, "no module in that slot", ct);
                return;
            }

            bool hang;
            lock (_gate)
            {
                hang = SubscribesToHang > 0;
                SubscribesToHang -= hang ? 1 : 0;
            }

            if (hang)
            {
                _hung.Release();
                await Task.Delay(Timeout.Infinite, ct); // never answered, never made: ends when the link closes
            }

            byte id;
            lock (_gate)
            {
                id = (byte)(_subscriptions.Count + 1);
                _subscriptions.Add((id, 0));
            }

            if (SubscribeReplyHeld is { } held)
            {
                SignalSubscriptionWaiters();
                await held.WaitAsync(ct); // made at once, answered only when the test says so
                await req.ReplyOkAsync(InlinePayload.FromByte(id), ct);
                return;
            }

            // Waiters are told once the answer is sent, so an event a test publishes next follows it on the wire (an
            // event before the answer names an id the gateway does not know yet, and is rightly dropped).
            await req.ReplyOkAsync(InlinePayload.FromByte(id), ct);
            SignalSubscriptionWaiters();
        });
        Connection.MapRequestHandler(McpCommand.Unsubscribe, (req, ct) =>
        {
            lock (_gate)
            {
                _unsubscribes.Add(req.Body.Span[0]);
            }

            _unsubscribed.Release();
            return req.ReplyOkAsync(ct);
        });
        Connection.MapRequestHandler(McpCommand.Read, (req, ct) =>
            MalformedReads
                ? req.ReplyOkAsync(InlinePayload.FromByte(1), ct) // one byte: not a whole i32
                : req.ReplyStatusAsync(McpStatus.NoSuchModule, null, ct));
        Connection.MapRequestHandler(McpCommand.ConfigGet, (req, ct) =>
        {
            byte slot = req.Body.Span[0];
            lock (_gate)
            {
                if (slot != 1)
                {
                    return req.ReplyStatusAsync(McpStatus.NoSuchModule, null, ct);
                }

                return req.ReplyOkAsync(new ConfigSnapshot(ConfigVersion, [.. Config.OrderBy(c => c.Key).Select(c => new ConfigEntry(c.Key, c.Value))]), ct);
            }
        });
        Connection.MapRequestHandler(McpCommand.ConfigSet, (req, ct) =>
        {
            ConfigSetRequest set = ConfigSetRequest.Read(req.Body.Span);
            BeforeConfigSet?.Invoke(this);
            lock (_gate)
            {
                ConfigSets.Add(set);
                if (set.ExpectedVersion != ConfigVersion)
                {
                    return req.ReplyStatusAsync(McpStatus.VersionConflict, null, ct);
                }

                if (set.Entries.Any(e => !Config.ContainsKey(e.Register)))
                {
                    return req.ReplyStatusAsync(McpStatus.NoSuchRegister, null, ct);
                }

                foreach (ConfigEntry entry in set.Entries)
                {
                    Config[entry.Register] = StoreConfig?.Invoke(entry) ?? entry.Value;
                }

                ConfigVersion++;
                return req.ReplyOkAsync(InlinePayload.FromUInt32(ConfigVersion), ct);
            }
        });
        Connection.Start();
    }

    public uint BootId { get; }

    /// <summary>Configuration registers of slot 1 (0, 1, 2), guarded by the device's lock.</summary>
    public Dictionary<ushort, int> Config { get; } = new() { [0] = 10, [1] = 20, [2] = 30 };

    public uint ConfigVersion { get; set; }

    public List<ConfigSetRequest> ConfigSets { get; } = [];

    /// <summary>Runs before each CONFIG_SET is applied (to simulate another client writing first).</summary>
    public Action<MiniDevice>? BeforeConfigSet { get; set; }

    /// <summary>What the device stores for a register a CONFIG_SET writes (default: the value written).</summary>
    public Func<ConfigEntry, int>? StoreConfig { get; set; }

    public object Gate => _gate;

    /// <summary>How many of the next SUBSCRIBEs are left unanswered, and not made, until the link closes (under <see cref="Gate"/>).</summary>
    public int SubscribesToHang { get; set; }

    /// <summary>When set, every READ is answered OK with a body too short for one value; otherwise NO_SUCH_MODULE.</summary>
    public bool MalformedReads { get; set; }

    /// <summary>When set, every SUBSCRIBE is answered NO_SUCH_MODULE.</summary>
    public bool RefuseSubscribes { get; set; }

    /// <summary>A slot whose SUBSCRIBEs are answered NO_SUCH_MODULE.</summary>
    public byte? RefusedSlot { get; set; }

    /// <summary>When set, each SUBSCRIBE is made at once but answered only once this task completes (a late answer).</summary>
    public Task? SubscribeReplyHeld { get; set; }

    /// <summary>The subscription ids named by the UNSUBSCRIBEs received so far.</summary>
    public byte[] Unsubscribes
    {
        get
        {
            lock (_gate)
            {
                return [.. _unsubscribes];
            }
        }
    }

    /// <summary>Completes when the next SUBSCRIBE told to hang has arrived.</summary>
    public Task WaitForHungSubscribeAsync() => _hung.WaitAsync();

    /// <summary>Completes when the next UNSUBSCRIBE has been received.</summary>
    public Task WaitForUnsubscribeAsync() => _unsubscribed.WaitAsync();

    public ITransport Transport { get; }

    public FrameConnection Connection { get; }

    public int SubscriptionCount
    {
        get
        {
            lock (_gate)
            {
                return _subscriptions.Count;
            }
        }
    }

    private void SignalSubscriptionWaiters()
    {
        lock (_gate)
        {
            foreach ((int count, TaskCompletionSource signal) in _waiters)
            {
                if (_subscriptions.Count >= count)
                {
                    signal.TrySetResult();
                }
            }
        }
    }

    /// <summary>
    /// Completes once the device has accepted <paramref name="count"/> subscriptions and sent its answers (made, when
    /// <see cref="SubscribeReplyHeld"/> holds the answers back).
    /// </summary>
    public Task WaitForSubscriptionsAsync(int count)
    {
        lock (_gate)
        {
            if (_subscriptions.Count >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task;
        }
    }

    /// <summary>Publishes one event with <paramref name="value"/> on every subscription.</summary>
    public async Task PublishAsync(int value)
    {
        (byte SubId, ushort Seq)[] subscriptions;
        lock (_gate)
        {
            for (int i = 0; i < _subscriptions.Count; i++)
            {
                _subscriptions[i] = (_subscriptions[i].SubId, (ushort)(_subscriptions[i].Seq + 1));
            }

            subscriptions = [.. _subscriptions];
        }

        foreach ((byte subId, ushort seq) in subscriptions)
        {
            await Connection.SendOneWayAsync(McpCommand.Event, new EventPayload(subId, (ushort)(seq - 1), 0, new[] { value }));
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
