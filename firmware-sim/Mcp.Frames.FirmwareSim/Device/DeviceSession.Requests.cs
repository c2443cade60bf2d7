using Mcp.Frames.Connections;
using Mcp.Frames.FirmwareSim.Faults;
using Mcp.Frames.FirmwareSim.Modules;
using Mcp.Frames.Mcp1;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Device;

/// <content>The MCP/1 request handlers (PROTOCOL.md §2.3) and the request-level faults (BUSY, slow answers).</content>
internal sealed partial class DeviceSession
{
    /// <summary>The smallest payload limit a peer may ask for in HELLO: a response header must fit.</summary>
    private const int MinPeerPayload = 2;

    /// <summary>Bytes before a response body: <c>seq, status</c>.</summary>
    private const int ResponseHeader = 2;

    private int Limit => _connection.MaxPayloadLength;

    private async ValueTask HandleAsync(RequestContext request, CancellationToken cancellationToken)
    {
        byte seq = request.Header.Span[0];
        byte[] body = request.Body.ToArray();
        FaultSettings faults = _faults.Current;
        bool busy;
        TimeSpan slow;
        lock (_requestRandom)
        {
            busy = _requestRandom.Chance(faults.Busy);
            slow = faults.Slow + _requestRandom.NextDuration(faults.SlowJitter);
        }

        if (slow > TimeSpan.Zero)
        {
            _faults.Counters.SlowAnswered();
            await Task.Delay(slow, _time, cancellationToken).ConfigureAwait(false);
        }

        Outcome outcome;
        if (busy)
        {
            _faults.Counters.BusyAnswered();
            outcome = Outcome.Fail(McpStatus.Busy, "busy (simulated fault)");
        }
        else
        {
            try
            {
                outcome = await DispatchAsync(request, body, cancellationToken).ConfigureAwait(false);
            }
            catch (ProtocolException ex)
            {
                outcome = Outcome.Fail(McpStatus.BadRequest, ex.Message); // a malformed body (the message readers' own checks)
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not ConnectionClosedException && !request.HasReplied)
            {
                // A module failed (a plug-in's sensor, a GPIO driver): a device-side failure, PROTOCOL.md §2.2.
                SessionLog.ModuleFailed(_logger, Name, McpCommand.GetName(request.Command), ex);
                outcome = Outcome.Fail(McpStatus.InternalError, $"{ex.GetType().Name}: {ex.Message}");
            }
        }

        if (!request.HasReplied)
        {
            await request.ReplyStatusAsync(outcome.Status, outcome.Message, cancellationToken).ConfigureAwait(false);
        }

        SessionLog.Answered(_logger, Name, McpCommand.GetName(request.Command), seq, outcome.Status);
        _log.Add(new SimRequestRecord(_log.NextSequence(), _time.GetUtcNow(), Name, LinkNumber, request.Command, seq, body, outcome.Status, outcome.IsOk ? null : outcome.Message));

        if (outcome.IsOk && request.Command == McpCommand.Reset)
        {
            // After the answer went out (PROTOCOL.md §2.3: "sent before the device restarts"), and before this link's
            // next request is handled, so a request that follows RESET on a serial link sees the rebooted device.
            SessionLog.ResetRequested(_logger, Name);
            await _requestReboot().ConfigureAwait(false);
        }
    }

    private ValueTask<Outcome> DispatchAsync(RequestContext request, byte[] body, CancellationToken ct) => request.Command switch
    {
        McpCommand.Hello => HelloAsync(request, body, ct),
        McpCommand.Ping => PingAsync(request, body, ct),
        McpCommand.Reset => ResetAsync(request, body, ct),
        McpCommand.Describe => DescribeAsync(request, body, ct),
        McpCommand.Read => ReadAsync(request, body, ct),
        McpCommand.Write => WriteAsync(request, body, ct),
        McpCommand.Subscribe => SubscribeAsync(request, body, ct),
        McpCommand.Unsubscribe => UnsubscribeAsync(request, body, ct),
        McpCommand.ConfigGet => ConfigGetAsync(request, body, ct),
        McpCommand.ConfigSet => ConfigSetAsync(request, body, ct),
        _ => new ValueTask<Outcome>(Outcome.Fail(McpStatus.UnknownCommand, $"command 0x{request.Command:X2} is not implemented by this device")),
    };

    private static Outcome? ExpectLength(byte[] body, int length, string command) =>
        body.Length == length ? null : Outcome.Fail(McpStatus.BadRequest, $"{command} request: the body must be {length} bytes; got {body.Length}");

    private static Outcome TooLarge(string what, int bytes, int limit) =>
        Outcome.Fail(McpStatus.TooLarge, $"{what} takes {bytes} bytes; the link's payload limit is {limit}");

    private async ValueTask<Outcome> HelloAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        // Later protocol versions may add fields after maxPayload: extra bytes are allowed here.
        HelloRequest hello = HelloRequest.Read(body);
        if (hello.ProtocolVersion != 1)
        {
            return Outcome.Fail(McpStatus.UnsupportedVersion, $"this device speaks protocol version 1, not {hello.ProtocolVersion}");
        }

        if (hello.MaxPayload < MinPeerPayload)
        {
            return Outcome.Fail(McpStatus.BadRequest, $"HELLO request: maxPayload {hello.MaxPayload} cannot carry a response (at least {MinPeerPayload})");
        }

        int limit = Math.Min(_device.MaxPayload, hello.MaxPayload);
        DeviceInfo info = _device.CreateDeviceInfo();
        if (ResponseHeader + info.MaxLength > limit)
        {
            return TooLarge("the HELLO answer", ResponseHeader + info.MaxLength, limit);
        }

        _connection.MaxPayloadLength = limit; // PROTOCOL.md §2.3: the smaller of the two sides' limits
        await request.ReplyOkAsync(info, ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> PingAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ResponseHeader + body.Length > Limit)
        {
            return TooLarge("the PING echo", ResponseHeader + body.Length, Limit);
        }

        await request.ReplyAsync((byte)McpStatus.Ok, body, ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> ResetAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ExpectLength(body, 1, "RESET") is { } bad)
        {
            return bad;
        }

        if (body[0] != 0)
        {
            return Outcome.Fail(McpStatus.BadRequest, $"RESET request: mode {body[0]} is not supported (0 = reboot)");
        }

        await request.ReplyOkAsync(ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> DescribeAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ExpectLength(body, 2, "DESCRIBE") is { } bad)
        {
            return bad;
        }

        DescribeRequest describe = DescribeRequest.Read(body);
        if (!_device.TryGetModule(describe.Slot, out SimModule? module))
        {
            return Outcome.Fail(McpStatus.NoSuchModule, $"no module in slot {describe.Slot}");
        }

        IReadOnlyList<SimRegister> registers = module.Registers;
        if (describe.First > registers.Count)
        {
            return Outcome.Fail(McpStatus.BadRequest, $"DESCRIBE request: first {describe.First} is past the module's {registers.Count} registers");
        }

        // As many entries as fit the link's payload limit (PROTOCOL.md §2.3).
        int room = Limit - ResponseHeader - 3;
        var page = new List<RegisterInfo>();
        for (int i = describe.First; i < registers.Count; i++)
        {
            RegisterInfo entry = registers[i].ToRegisterInfo();
            int size = DescribePage.EntryLength(entry);
            if (size > room)
            {
                break;
            }

            room -= size;
            page.Add(entry);
        }

        if (page.Count == 0 && describe.First < registers.Count)
        {
            return TooLarge($"register entry {describe.First} ({registers[describe.First].Name})", ResponseHeader + 3 + DescribePage.EntryLength(registers[describe.First].ToRegisterInfo()), Limit);
        }

        await request.ReplyOkAsync(new DescribePage((byte)registers.Count, describe.First, page), ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> ReadAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ExpectLength(body, 4, "READ") is { } bad)
        {
            return bad;
        }

        ReadRequest read = ReadRequest.Read(body);
        int[] values = new int[read.Count];
        Outcome outcome = _device.Read(read.Slot, read.Register, read.Count, values);
        if (!outcome.IsOk)
        {
            return outcome;
        }

        if (ResponseHeader + (4 * read.Count) > Limit)
        {
            return TooLarge($"reading {read.Count} registers", ResponseHeader + (4 * read.Count), Limit);
        }

        await request.ReplyOkAsync(new Int32Values(values), ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> WriteAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        WriteRequest write = WriteRequest.Read(body);
        Outcome outcome = _device.Write(write.Slot, write.Register, write.Values.Span);
        if (!outcome.IsOk)
        {
            return outcome;
        }

        await request.ReplyOkAsync(ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> SubscribeAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ExpectLength(body, 7, "SUBSCRIBE") is { } bad)
        {
            return bad;
        }

        SubscribeRequest subscribe = SubscribeRequest.Read(body);
        Outcome outcome = _device.CheckReadable(subscribe.Slot, subscribe.Register, subscribe.Count, out SimModule? module);
        if (!outcome.IsOk)
        {
            return outcome;
        }

        int eventSize = EventPayload.HeaderLength + (4 * subscribe.Count);
        if (eventSize > Limit)
        {
            return TooLarge($"an EVENT of {subscribe.Count} registers", eventSize, Limit);
        }

        Subscription subscription;
        lock (_subscriptionsLock)
        {
            if (_subscriptions.Count >= _maxSubscriptions)
            {
                return Outcome.Fail(McpStatus.Busy, $"this link already has {_maxSubscriptions} subscriptions; unsubscribe one first");
            }

            byte id = _nextSubscriptionId;
            while (_subscriptions.ContainsKey(id))
            {
                id++; // ids are handed out round-robin, so a just-freed id is reused as late as possible
            }

            _nextSubscriptionId = unchecked((byte)(id + 1));
            subscription = new Subscription(id, subscribe, _device, module!, Publish);
            _subscriptions[id] = subscription;
        }

        // The first EVENT is due one period from now; the answer goes out long before (periods are at least 10 ms).
        subscription.Start(_time);
        try
        {
            await request.ReplyOkAsync(InlinePayload.FromByte(subscription.Id), ct).ConfigureAwait(false);
        }
        catch
        {
            RemoveSubscription(subscription.Id);
            throw;
        }

        return Outcome.Ok;
    }

    private async ValueTask<Outcome> UnsubscribeAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ExpectLength(body, 1, "UNSUBSCRIBE") is { } bad)
        {
            return bad;
        }

        // An unknown id is answered OK: the subscription is gone either way, and a retried UNSUBSCRIBE (its first
        // answer lost) must not fail.
        RemoveSubscription(body[0]);
        await request.ReplyOkAsync(ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> ConfigGetAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        if (ExpectLength(body, 1, "CONFIG_GET") is { } bad)
        {
            return bad;
        }

        Outcome outcome = _device.TryGetConfig(body[0], out ConfigSnapshot? snapshot);
        if (!outcome.IsOk)
        {
            return outcome;
        }

        if (ResponseHeader + snapshot!.MaxLength > Limit)
        {
            return TooLarge($"the configuration of slot {body[0]}", ResponseHeader + snapshot.MaxLength, Limit);
        }

        await request.ReplyOkAsync(snapshot, ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private async ValueTask<Outcome> ConfigSetAsync(RequestContext request, byte[] body, CancellationToken ct)
    {
        ConfigSetRequest set = ConfigSetRequest.Read(body);
        (Outcome outcome, uint version) = await _device.ConfigSetAsync(set.Slot, set.ExpectedVersion, set.Entries, ct).ConfigureAwait(false);
        if (!outcome.IsOk)
        {
            return outcome;
        }

        await request.ReplyOkAsync(InlinePayload.FromUInt32(version), ct).ConfigureAwait(false);
        return Outcome.Ok;
    }

    private void RemoveSubscription(byte id)
    {
        Subscription? removed;
        lock (_subscriptionsLock)
        {
            _subscriptions.Remove(id, out removed);
        }

        removed?.Dispose();
    }
}
