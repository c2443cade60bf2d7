using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Mcp.Frames.Connections;

/// <summary>
/// A subscriber's bounded queue of one-way messages from one connection. The read loop only copies a message into
/// the queue; the subscriber reads at its own pace on its own task. A full queue drops by its
/// <see cref="OverflowPolicy"/> and counts in <see cref="Dropped"/>; it never slows the read loop, responses, or other
/// subscribers. One reader per subscription.
/// </summary>
public sealed class OneWaySubscription : IDisposable
{
    private readonly FrameConnection _owner;
    private readonly Channel<OneWayMessage> _channel;
    private readonly PayloadBufferPool _buffers;
    private readonly IOneWayArrivals? _arrivals;
    private long _dropped;
    private long _delivered;
    private int _firstByte; // -1: no filter

    internal OneWaySubscription(FrameConnection owner, OneWaySubscriptionOptions options, IOneWayArrivals? arrivals = null)
    {
        _owner = owner;
        _arrivals = arrivals;
        Command = options.Command;
        _firstByte = options.FirstByte ?? -1;
        _buffers = new PayloadBufferPool(options.Capacity + 2); // the queue, the message being read, the one being added
        _channel = Channel.CreateBounded<OneWayMessage>(
            new BoundedChannelOptions(options.Capacity)
            {
                FullMode = options.Overflow == OverflowPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.DropWrite,
                SingleReader = true,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            },
            OnDropped);
    }

    /// <summary>The command this subscription receives.</summary>
    public byte Command { get; }

    /// <summary>The first-byte filter, if any.</summary>
    public byte? FirstByte => Volatile.Read(ref _firstByte) is var b and >= 0 ? (byte)b : null;

    /// <summary>Messages dropped because the queue was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Messages put in the queue.</summary>
    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Completes when the subscription ends (disposed, or its connection closed).</summary>
    public Task Completion => _channel.Reader.Completion;

    /// <summary>Waits until a message can be read.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="false"/> when the subscription has ended and the queue is empty.</returns>
    /// <exception cref="ConnectionClosedException">The connection closed (after the queued messages were read).</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Takes the next message if one is queued. Dispose it after use.</summary>
    /// <param name="message">The message.</param>
    /// <returns><see langword="true"/> when a message was taken.</returns>
    public bool TryRead(out OneWayMessage message) => _channel.Reader.TryRead(out message);

    /// <summary>
    /// Reads messages until the subscription ends. Each message is disposed when the loop moves on, so do not keep
    /// its payload beyond the loop body.
    /// </summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The messages in arrival order.</returns>
    public async IAsyncEnumerable<OneWayMessage> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<OneWayMessage> reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out OneWayMessage message))
            {
                try
                {
                    yield return message;
                }
                finally
                {
                    message.Dispose();
                }
            }
        }
    }

    /// <summary>Stops the subscription; queued messages are released.</summary>
    public void Dispose()
    {
        _owner.RemoveSubscription(this);
        Complete(null);
        while (_channel.Reader.TryRead(out OneWayMessage message))
        {
            message.Dispose();
        }
    }

    internal bool Matches(byte command, ReadOnlySpan<byte> payload)
    {
        int first = Volatile.Read(ref _firstByte);
        return command == Command && (first < 0 || (!payload.IsEmpty && payload[0] == first));
    }

    /// <summary>
    /// Narrows the filter once the key is known (MCP/1: the subId from the SUBSCRIBE answer). Registering first and
    /// narrowing later means no message sent right after the answer can be missed; messages queued before the
    /// narrowing may not match, and the reader skips them.
    /// </summary>
    internal void SetFirstByte(byte value) => Volatile.Write(ref _firstByte, value);

    internal void Deliver(byte command, ReadOnlySpan<byte> payload)
    {
        _arrivals?.OnArrived(payload);
        byte[] buffer = _buffers.Rent(payload.Length);
        payload.CopyTo(buffer);
        if (_channel.Writer.TryWrite(new OneWayMessage(command, buffer, payload.Length, _buffers)))
        {
            Interlocked.Increment(ref _delivered);
        }
        else
        {
            _buffers.Return(buffer); // the subscription has ended
        }
    }

    internal void Complete(Exception? error) => _channel.Writer.TryComplete(error);

    private void OnDropped(OneWayMessage message)
    {
        message.Dispose();
        Interlocked.Increment(ref _dropped);
        Interlocked.Decrement(ref _delivered);
        _owner.OnEventDropped();
    }
}
