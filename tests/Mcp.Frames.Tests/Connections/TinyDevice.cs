using System.Collections.Concurrent;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// A tiny MCP/1 device written against the connection's handler API (PROTOCOL.md §2.3): one module in slot 1 with
/// live registers and configuration registers, subscriptions, and a record of what it was asked.
/// </summary>
internal sealed class TinyDevice
{
    public const byte Slot = 1;
    private readonly FrameConnection _connection;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<ushort, (RegisterAccess Access, string Name, int Value)> _registers = [];
    private int _nextSubscription = 1;
    private readonly SemaphoreSlim _unsubscribes = new(0);

    public TinyDevice(FrameConnection connection, ushort maxPayload = 256)
    {
        _connection = connection;
        MaxPayload = maxPayload;
        for (ushort r = 0; r < 12; r++)
        {
            _registers[(ushort)(0x10 + r)] = (r < 4 ? RegisterAccess.Read : RegisterAccess.Read | RegisterAccess.Write, $"register{r:00}", r * 100);
        }

        _registers[0x80] = (RegisterAccess.Read | RegisterAccess.Config, "setpoint", 2150);
        _registers[0x81] = (RegisterAccess.Read | RegisterAccess.Config, "hysteresis", 50);

        connection.MapRequestHandler(McpCommand.Hello, HelloAsync);
        connection.MapRequestHandler(McpCommand.Describe, DescribeAsync);
        connection.MapRequestHandler(McpCommand.Read, ReadAsync);
        connection.MapRequestHandler(McpCommand.Write, WriteAsync);
        connection.MapRequestHandler(McpCommand.Subscribe, SubscribeAsync);
        connection.MapRequestHandler(McpCommand.Unsubscribe, UnsubscribeAsync);
        connection.MapRequestHandler(McpCommand.ConfigGet, ConfigGetAsync);
        connection.MapRequestHandler(McpCommand.ConfigSet, ConfigSetAsync);
        connection.MapRequestHandler(McpCommand.Reset, ResetAsync);
    }

    public ushort MaxPayload { get; }

    public uint BootId { get; } = 0xB007_1D00;

    public uint ConfigVersion { get; private set; }

    public ConcurrentQueue<byte> DescribeFirsts { get; } = new();

    public ConcurrentQueue<byte> Unsubscribed { get; } = new();

    /// <summary>When set, each SUBSCRIBE is made at once but answered only once this task completes (a late answer).</summary>
    public Task? SubscribeReplyHeld { get; set; }

    /// <summary>Completes when the next UNSUBSCRIBE has been handled.</summary>
    public Task WaitForUnsubscribeAsync() => _unsubscribes.WaitAsync();

    public ConcurrentQueue<byte> Resets { get; } = new();

    public ConcurrentDictionary<byte, SubscribeRequest> Subscriptions { get; } = new();

    public int RegisterCount => _registers.Count;

    public ValueTask PublishAsync(byte subscriptionId, ushort eventSeq, params int[] values) =>
        _connection.SendOneWayAsync(McpCommand.Event, new EventPayload(subscriptionId, eventSeq, 1234, values));

    private async ValueTask HelloAsync(RequestContext request, CancellationToken ct)
    {
        HelloRequest hello = HelloRequest.Read(request.Body.Span);
        if (hello.ProtocolVersion != 1)
        {
            await request.ReplyStatusAsync(McpStatus.UnsupportedVersion, null, ct);
            return;
        }

        var info = new DeviceInfo
        {
            ProtocolVersion = 1,
            MaxPayload = MaxPayload,
            DeviceId = "tiny-01",
            Firmware = new Version(1, 4, 2),
            BootId = BootId,
            Modules = [new ModuleInfo(Slot, 0x0101, 3, "thermo")],
        };
        await request.ReplyOkAsync(info, ct);
        _connection.MaxPayloadLength = Math.Min(hello.MaxPayload, MaxPayload); // PROTOCOL.md §2.3 HELLO
    }

    private ValueTask DescribeAsync(RequestContext request, CancellationToken ct)
    {
        DescribeRequest describe = DescribeRequest.Read(request.Body.Span);
        DescribeFirsts.Enqueue(describe.First);
        if (describe.Slot != Slot)
        {
            return request.ReplyStatusAsync(McpStatus.NoSuchModule, null, ct);
        }

        RegisterInfo[] all = _registers.Select(r => new RegisterInfo(r.Key, r.Value.Access, r.Value.Name)).ToArray();
        int room = _connection.MaxPayloadLength - 2 - 3;
        var page = new List<RegisterInfo>();
        for (int i = describe.First; i < all.Length && room >= DescribePage.EntryLength(all[i]); i++)
        {
            room -= DescribePage.EntryLength(all[i]);
            page.Add(all[i]);
        }

        return request.ReplyOkAsync(new DescribePage((byte)all.Length, describe.First, page), ct);
    }

    private ValueTask ReadAsync(RequestContext request, CancellationToken ct)
    {
        ReadRequest read = ReadRequest.Read(request.Body.Span);
        if (read.Slot != Slot)
        {
            return request.ReplyStatusAsync(McpStatus.NoSuchModule, $"no module in slot {read.Slot}", ct);
        }

        int[] values = new int[read.Count];
        lock (_lock)
        {
            for (int i = 0; i < read.Count; i++)
            {
                if (!_registers.TryGetValue((ushort)(read.Register + i), out var register))
                {
                    return request.ReplyStatusAsync(McpStatus.NoSuchRegister, null, ct);
                }

                values[i] = register.Value;
            }
        }

        return request.ReplyOkAsync(new Int32Values(values), ct);
    }

    private ValueTask WriteAsync(RequestContext request, CancellationToken ct)
    {
        WriteRequest write = WriteRequest.Read(request.Body.Span);
        lock (_lock)
        {
            for (int i = 0; i < write.Values.Length; i++)
            {
                if (!_registers.TryGetValue((ushort)(write.Register + i), out var register))
                {
                    return request.ReplyStatusAsync(McpStatus.NoSuchRegister, null, ct);
                }

                if ((register.Access & RegisterAccess.Write) == 0)
                {
                    return request.ReplyStatusAsync(McpStatus.ReadOnly, $"register 0x{write.Register + i:X4} is read-only", ct);
                }
            }

            for (int i = 0; i < write.Values.Length; i++)
            {
                ushort address = (ushort)(write.Register + i);
                _registers[address] = _registers[address] with { Value = write.Values.Span[i] };
            }
        }

        return request.ReplyOkAsync(ct);
    }

    private async ValueTask SubscribeAsync(RequestContext request, CancellationToken ct)
    {
        SubscribeRequest subscribe = SubscribeRequest.Read(request.Body.Span);
        byte id = (byte)Interlocked.Increment(ref _nextSubscription);
        Subscriptions[id] = subscribe;
        if (SubscribeReplyHeld is { } held)
        {
            await held.WaitAsync(ct); // made at once, answered only when the test says so
        }

        await request.ReplyOkAsync(InlinePayload.FromByte(id), ct);
    }

    private ValueTask UnsubscribeAsync(RequestContext request, CancellationToken ct)
    {
        byte id = UnsubscribeRequest.Read(request.Body.Span).SubscriptionId;
        Unsubscribed.Enqueue(id);
        Subscriptions.TryRemove(id, out _);
        _unsubscribes.Release();
        return request.ReplyOkAsync(ct);
    }

    private ValueTask ConfigGetAsync(RequestContext request, CancellationToken ct)
    {
        lock (_lock)
        {
            ConfigEntry[] entries = _registers.Where(r => (r.Value.Access & RegisterAccess.Config) != 0).Select(r => new ConfigEntry(r.Key, r.Value.Value)).ToArray();
            return request.ReplyOkAsync(new ConfigSnapshot(ConfigVersion, entries), ct);
        }
    }

    private ValueTask ConfigSetAsync(RequestContext request, CancellationToken ct)
    {
        ConfigSetRequest set = ConfigSetRequest.Read(request.Body.Span);
        lock (_lock)
        {
            if (set.ExpectedVersion != ConfigVersion)
            {
                return request.ReplyStatusAsync(McpStatus.VersionConflict, $"configuration is at version {ConfigVersion}", ct);
            }

            foreach (ConfigEntry entry in set.Entries)
            {
                if (!_registers.TryGetValue(entry.Register, out var register) || (register.Access & RegisterAccess.Config) == 0)
                {
                    return request.ReplyStatusAsync(McpStatus.NoSuchRegister, null, ct);
                }
            }

            foreach (ConfigEntry entry in set.Entries)
            {
                _registers[entry.Register] = _registers[entry.Register] with { Value = entry.Value };
            }

            ConfigVersion++;
            return request.ReplyOkAsync(InlinePayload.FromUInt32(ConfigVersion), ct);
        }
    }

    private ValueTask ResetAsync(RequestContext request, CancellationToken ct)
    {
        Resets.Enqueue(ResetRequest.Read(request.Body.Span).Mode);
        return request.ReplyOkAsync(ct);
    }
}
