using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// The typed MCP/1 requester over a <see cref="FrameConnection"/> (PROTOCOL.md §2.3): HELLO, PING, DESCRIBE, READ,
/// WRITE, SUBSCRIBE, CONFIG_GET, CONFIG_SET, RESET. Reads and other idempotent requests are retried on timeout;
/// every request is retried on BUSY. A non-OK answer raises <see cref="RemoteStatusException"/> with the status.
/// </summary>
public sealed class McpClient
{
    private const int MinimumPayloadLength = 2;
    private static readonly RequestOptions Idempotent = RequestOptions.IdempotentDefault;
    private long _pingCounter;

    /// <summary>Creates a client on a connection that uses the MCP/1 profile.</summary>
    /// <param name="connection">The connection (started by the caller).</param>
    public McpClient(FrameConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
    }

    /// <summary>The connection.</summary>
    public FrameConnection Connection { get; }

    /// <summary>What the last HELLO answered, if any.</summary>
    public DeviceInfo? Device { get; private set; }

    /// <summary>
    /// Opens the session: sends our payload limit, and lowers the link's limit to the smaller of the two sides'.
    /// </summary>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The device's identity and modules.</returns>
    /// <exception cref="ProtocolException">The device speaks another protocol version or sent a malformed answer.</exception>
    public async Task<DeviceInfo> HelloAsync(RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        int ours = Connection.MaxPayloadLength;
        using Response response = await Connection.SendRequestAsync(McpCommand.Hello, new HelloRequest(1, (ushort)ours), options ?? Idempotent, cancellationToken).ConfigureAwait(false);
        DeviceInfo device = DeviceInfo.Read(response.Body.Span);
        if (device.ProtocolVersion != 1)
        {
            throw new ProtocolException($"HELLO response on {Connection.Name}: device speaks protocol version {device.ProtocolVersion}, this client speaks 1.") { LinkName = Connection.Name };
        }

        if (device.MaxPayload < MinimumPayloadLength)
        {
            // A link that cannot carry a response header (seq, status) cannot carry MCP/1 at all; refuse it here with
            // a clear error instead of lowering the limit and failing every later request.
            throw new ProtocolException($"HELLO response on {Connection.Name}: device maxPayload {device.MaxPayload} is smaller than an MCP/1 response header ({MinimumPayloadLength} bytes).") { LinkName = Connection.Name };
        }

        Connection.MaxPayloadLength = Math.Min(ours, device.MaxPayload);
        Device = device;
        return device;
    }

    /// <summary>Sends PING with distinct bytes and checks the echo.</summary>
    /// <param name="data">The bytes to echo; empty for an 8-byte counter.</param>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The round-trip time.</returns>
    /// <exception cref="ProtocolException">The echo differs from what was sent.</exception>
    public async Task<TimeSpan> PingAsync(ReadOnlyMemory<byte> data = default, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        TimeProvider time = Connection.TimeProvider;
        long start = time.GetTimestamp();
        if (data.IsEmpty)
        {
            // A counter written straight into the frame: distinct bytes with no array per PING.
            long counter = Interlocked.Increment(ref _pingCounter);
            using Response echo = await Connection.SendRequestAsync(McpCommand.Ping, new CounterPayload(counter), options ?? Idempotent, cancellationToken).ConfigureAwait(false);
            if (echo.Body.Length != sizeof(long) || BinaryPrimitives.ReadInt64LittleEndian(echo.Body.Span) != counter)
            {
                throw new ProtocolException($"PING on {Connection.Name}: the echo of {echo.Body.Length} bytes differs from the {sizeof(long)} bytes sent.") { LinkName = Connection.Name };
            }

            return time.GetElapsedTime(start);
        }

        using Response response = await Connection.SendRequestAsync(McpCommand.Ping, data, options ?? Idempotent, cancellationToken).ConfigureAwait(false);
        TimeSpan rtt = time.GetElapsedTime(start);
        if (!response.Body.Span.SequenceEqual(data.Span))
        {
            throw new ProtocolException($"PING on {Connection.Name}: the echo of {response.Body.Length} bytes differs from the {data.Length} bytes sent.") { LinkName = Connection.Name };
        }

        return rtt;
    }

    /// <summary>Lists every register of a module, requesting page after page.</summary>
    /// <param name="slot">The module's slot.</param>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>All registers.</returns>
    public async Task<IReadOnlyList<RegisterInfo>> DescribeAsync(byte slot, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var registers = new List<RegisterInfo>();
        int total = -1;
        while (total < 0 || registers.Count < total)
        {
            using Response response = await Connection.SendRequestAsync(McpCommand.Describe, new DescribeRequest(slot, (byte)registers.Count), options ?? Idempotent, cancellationToken).ConfigureAwait(false);
            DescribePage page = DescribePage.Read(response.Body.Span);
            if (page.First != registers.Count || (total >= 0 && page.Total != total))
            {
                throw new ProtocolException($"DESCRIBE response on {Connection.Name}: asked for entries from {registers.Count} of {total}, got entries from {page.First} of {page.Total}.") { LinkName = Connection.Name };
            }

            if (page.Registers.Count == 0 && page.Total > registers.Count)
            {
                throw new ProtocolException($"DESCRIBE response on {Connection.Name}: an empty page at entry {registers.Count} of {page.Total}.") { LinkName = Connection.Name };
            }

            total = page.Total;
            registers.AddRange(page.Registers);
        }

        return registers;
    }

    /// <summary>Reads consecutive registers into a new array.</summary>
    /// <param name="slot">The module's slot.</param>
    /// <param name="register">The first register.</param>
    /// <param name="count">How many (1–255).</param>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The values.</returns>
    public async Task<int[]> ReadAsync(byte slot, ushort register, byte count = 1, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        int[] values = new int[count];
        await ReadAsync(slot, register, values, options, cancellationToken).ConfigureAwait(false);
        return values;
    }

    /// <summary>Reads consecutive registers into the caller's memory (no allocation in steady state).</summary>
    /// <param name="slot">The module's slot.</param>
    /// <param name="register">The first register.</param>
    /// <param name="destination">1–255 values to fill.</param>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>A task that completes when the values are filled.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadAsync(byte slot, ushort register, Memory<int> destination, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (destination.Length is < 1 or > 255)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), destination.Length, "READ takes 1 to 255 registers.");
        }

        using Response response = await Connection.SendRequestAsync(McpCommand.Read, new ReadRequest(slot, register, (byte)destination.Length), options ?? Idempotent, cancellationToken).ConfigureAwait(false);
        ReadOnlySpan<byte> body = response.Body.Span;
        string name = body.Length == destination.Length * 4 ? "READ response" : $"READ response on {Connection.Name} (slot {slot}, register {register})"; // formatted only for the error
        Int32Values.Read(body, destination.Span, name);
    }

    /// <summary>Writes consecutive live registers, all or nothing (PROTOCOL.md §2.3).</summary>
    /// <param name="slot">The module's slot.</param>
    /// <param name="register">The first register.</param>
    /// <param name="values">One or more values.</param>
    /// <param name="options">Timeout and retries; not retried on timeout unless marked idempotent.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>A task that completes when the device accepted the write.</returns>
    public async Task WriteAsync(byte slot, ushort register, ReadOnlyMemory<int> values, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("WRITE needs at least one value.", nameof(values));
        }

        using Response response = await Connection.SendRequestAsync(McpCommand.Write, new WriteRequest(slot, register, values), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Subscribes to registers. The returned subscription yields typed events and unsubscribes when disposed.
    /// </summary>
    /// <param name="request">What to subscribe to.</param>
    /// <param name="queue">The event queue's capacity and overflow policy; <see langword="null"/> for 256, drop-oldest.</param>
    /// <param name="options">Timeout and retries.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The subscription.</returns>
    public async Task<McpSubscription> SubscribeAsync(SubscribeRequest request, OneWaySubscriptionOptions? queue = null, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Register for EVENTs before asking, so an event sent right after the answer cannot be missed.
        var queueOptions = new OneWaySubscriptionOptions
        {
            Command = McpCommand.Event,
            Capacity = queue?.Capacity ?? 256,
            Overflow = queue?.Overflow ?? OverflowPolicy.DropOldest,
        };
        var gaps = new EventSeqGaps();
        OneWaySubscription events = Connection.SubscribeOneWay(queueOptions, gaps);
        try
        {
            using Response response = await Connection.SendRequestAsync(McpCommand.Subscribe, request, options, LateSubscription.Instance, cancellationToken).ConfigureAwait(false);
            var reader = new McpBodyReader(response.Body.Span, "SUBSCRIBE response");
            byte subscriptionId = reader.ReadByte("subId");
            reader.EnsureEnd();
            events.SetFirstByte(subscriptionId);
            return new McpSubscription(this, events, gaps, subscriptionId, request);
        }
        catch
        {
            events.Dispose();
            throw;
        }
    }

    /// <summary>Stops a subscription on the device.</summary>
    /// <param name="subscriptionId">The subscription.</param>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>A task that completes when the device confirmed.</returns>
    public async Task UnsubscribeAsync(byte subscriptionId, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        using Response response = await Connection.SendRequestAsync(McpCommand.Unsubscribe, new UnsubscribeRequest(subscriptionId), options ?? Idempotent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a module's persisted configuration and its version.</summary>
    /// <param name="slot">The module's slot.</param>
    /// <param name="options">Timeout and retries; idempotent by default.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The configuration.</returns>
    public async Task<ConfigSnapshot> ConfigGetAsync(byte slot, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        using Response response = await Connection.SendRequestAsync(McpCommand.ConfigGet, new ConfigGetRequest(slot), options ?? Idempotent, cancellationToken).ConfigureAwait(false);
        return ConfigSnapshot.Read(response.Body.Span);
    }

    /// <summary>
    /// Changes configuration registers if the configuration is still at <paramref name="expectedVersion"/>;
    /// otherwise the device answers VERSION_CONFLICT (a <see cref="RemoteStatusException"/>) and nothing changes.
    /// </summary>
    /// <param name="slot">The module's slot.</param>
    /// <param name="expectedVersion">The version the change is based on.</param>
    /// <param name="entries">The registers to change.</param>
    /// <param name="options">Timeout and retries; not retried on timeout unless marked idempotent.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>The new version.</returns>
    public async Task<uint> ConfigSetAsync(byte slot, uint expectedVersion, IReadOnlyList<ConfigEntry> entries, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        using Response response = await Connection.SendRequestAsync(McpCommand.ConfigSet, new ConfigSetRequest(slot, expectedVersion, entries), options, cancellationToken).ConfigureAwait(false);
        var reader = new McpBodyReader(response.Body.Span, "CONFIG_SET response");
        uint version = reader.ReadUInt32("version");
        reader.EnsureEnd();
        return version;
    }

    /// <summary>Restarts the device. The answer comes before the restart; subscriptions die with it.</summary>
    /// <param name="mode">0 = reboot.</param>
    /// <param name="options">Timeout and retries.</param>
    /// <param name="cancellationToken">Gives up.</param>
    /// <returns>A task that completes when the device acknowledged.</returns>
    public async Task ResetAsync(byte mode = 0, RequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        using Response response = await Connection.SendRequestAsync(McpCommand.Reset, new ResetRequest(mode), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The 8-byte little-endian PING counter, written in place.</summary>
    private readonly struct CounterPayload(long value) : IFramePayload
    {
        public int MaxLength => sizeof(long);

        public int WriteTo(Span<byte> destination)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination, value);
            return sizeof(long);
        }
    }

    /// <summary>
    /// A SUBSCRIBE that was given up (timed out or cancelled) but answered later: the device made a subscription that
    /// nobody reads, and that would publish until the link ends. It is unsubscribed.
    /// </summary>
    private sealed class LateSubscription : ILateAnswerObserver
    {
        public static readonly LateSubscription Instance = new();

        public void OnLateAnswer(FrameConnection connection, byte status, ReadOnlySpan<byte> body)
        {
            if (status != (byte)McpStatus.Ok || body.Length != 1)
            {
                return; // refused or malformed: nothing was made
            }

            // Off the read loop: UNSUBSCRIBE is a request that waits for its answer.
            ThreadPool.UnsafeQueueUserWorkItem(static s => _ = ReleaseAsync(s.Connection, s.Id), (Connection: connection, Id: body[0]), preferLocal: false);
        }

        private static async Task ReleaseAsync(FrameConnection connection, byte subscriptionId)
        {
            try
            {
                await new McpClient(connection).UnsubscribeAsync(subscriptionId).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is FrameConnectionException or OperationCanceledException)
            {
                // The link ended (the device forgets it then), or the device does not know it: nothing is left to release.
            }
            catch (Exception ex)
            {
                connection.ReportBackgroundFailure($"releasing subscription {subscriptionId}, made by a SUBSCRIBE answered late", ex);
            }
        }
    }
}
