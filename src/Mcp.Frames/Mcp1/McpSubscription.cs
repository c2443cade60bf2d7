using System.Runtime.CompilerServices;
using Mcp.Frames.Connections;
using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// An MCP/1 subscription: typed events in arrival order, lost events reported from <c>eventSeq</c> gaps, and
/// UNSUBSCRIBE sent when disposed. Events wait in a bounded queue (drop-oldest by default, counted in
/// <see cref="Dropped"/>); reading is the subscriber's own pace and never slows the link.
/// </summary>
public sealed class McpSubscription : IAsyncDisposable
{
    private readonly McpClient _client;
    private readonly OneWaySubscription _events;
    private readonly EventSeqGaps _gaps;
    private int? _lastSeq;
    private long _received;
    private long _malformed;
    private int _disposed;

    internal McpSubscription(McpClient client, OneWaySubscription events, EventSeqGaps gaps, byte subscriptionId, SubscribeRequest request)
    {
        _client = client;
        _events = events;
        _gaps = gaps;
        SubscriptionId = subscriptionId;
        Request = request;
    }

    /// <summary>The device's id for this subscription.</summary>
    public byte SubscriptionId { get; }

    /// <summary>What was subscribed.</summary>
    public SubscribeRequest Request { get; }

    /// <summary>
    /// Events the device published that never arrived (the sum of <c>eventSeq</c> gaps, counted as events arrive,
    /// before the queue). Events that arrived and were dropped by a full queue count in <see cref="Dropped"/> only.
    /// </summary>
    public long LostEvents => _gaps.LostOf(SubscriptionId);

    /// <summary>Events read.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Events dropped locally because the queue was full.</summary>
    public long Dropped => _events.Dropped;

    /// <summary>Events that could not be parsed, or carried another number of values than subscribed, and were skipped.</summary>
    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>Completes when the subscription ends (disposed, or its connection closed).</summary>
    public Task Completion => _events.Completion;

    /// <summary>Whether the connection it was made on is still open.</summary>
    internal bool IsConnectionOpen => _client.Connection.IsOpen;

    /// <summary>
    /// Reads events until the subscription ends. Each event is valid until the loop moves on.
    /// </summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The events.</returns>
    /// <exception cref="ConnectionClosedException">The connection ended (after the queued events were read).</exception>
    public async IAsyncEnumerable<McpEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (OneWayMessage message in _events.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (TryAccept(message.Payload, out McpEvent evt))
            {
                yield return evt;
            }
        }
    }

    /// <summary>Stops the subscription: sends UNSUBSCRIBE (best effort, when the link is up) and releases queued events.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _events.Dispose();
        if (_client.Connection.IsOpen)
        {
            try
            {
                await _client.UnsubscribeAsync(SubscriptionId).ConfigureAwait(false);
            }
            catch (FrameConnectionException)
            {
                // The device forgets subscriptions with the link or a reboot anyway (PROTOCOL.md §2.3).
            }
        }
    }

    private bool TryAccept(ReadOnlyMemory<byte> payload, out McpEvent evt)
    {
        evt = default;
        if (payload.IsEmpty || payload.Span[0] != SubscriptionId)
        {
            return false; // queued before the filter was narrowed to our subId
        }

        McpEvent parsed;
        try
        {
            parsed = McpEvent.Read(payload);
        }
        catch (ProtocolException)
        {
            Interlocked.Increment(ref _malformed);
            return false;
        }

        if (parsed.ValueCount != Request.Count)
        {
            Interlocked.Increment(ref _malformed); // PROTOCOL.md §2.3: exactly count × i32
            return false;
        }

        ushort seq = parsed.EventSeq;
        long lost = 0;
        if (_lastSeq is { } last)
        {
            ushort gap = (ushort)(seq - (ushort)(last + 1));
            if (gap >= 0x8000)
            {
                return false; // a duplicate or an event older than one already read
            }

            lost = gap;
        }

        _lastSeq = seq;
        Interlocked.Increment(ref _received);
        evt = McpEvent.Read(payload, lost);
        return true;
    }
}
