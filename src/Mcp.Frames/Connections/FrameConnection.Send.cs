using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Connections;

/// <content>The writer: one frame at a time into the transport, frames of a burst coalesced into one flush.</content>
public sealed partial class FrameConnection
{
    private readonly WriteGate _writeGate = new();
    private int _queuedWriters;
    private long _framesSent;
    private long _bytesSent;

    /// <summary>Sends a one-way message (for MCP/1: an EVENT).</summary>
    /// <param name="command">The command.</param>
    /// <param name="payload">The payload (the whole frame payload; one-way messages have no profile header).</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="ArgumentException">The payload exceeds the link's limit; nothing was sent.</exception>
    /// <exception cref="ConnectionClosedException">The connection has ended.</exception>
    public ValueTask SendOneWayAsync(byte command, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        SendOneWayAsync(command, new BytesPayload(payload), cancellationToken);

    /// <summary>Sends a one-way message whose payload writes itself into the frame.</summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="command">The command.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Gives up waiting for the writer.</param>
    /// <returns>A task that completes when the frame is written.</returns>
    /// <exception cref="ArgumentException">The payload exceeds the link's limit; nothing was sent.</exception>
    /// <exception cref="ConnectionClosedException">The connection has ended.</exception>
    public ValueTask SendOneWayAsync<TPayload>(byte command, TPayload payload, CancellationToken cancellationToken = default)
        where TPayload : IFramePayload
    {
        ThrowIfNotOpen();
        return WriteFrameAsync(command, payload, cancellationToken);
    }

    internal ValueTask SendResponseAsync<TBody>(byte requestCommand, ReadOnlySpan<byte> requestHeader, byte status, TBody body, CancellationToken cancellationToken)
        where TBody : IFramePayload
    {
        ThrowIfNotOpen();
        byte command = _profile.GetResponseCommand(requestCommand);
        int headerLength = _profile.ResponseHeaderLength;
        int limit = MaxPayloadLength;
        Span<byte> header = stackalloc byte[8];
        if (headerLength + body.MaxLength > limit && _profile.HasStatus)
        {
            // PROTOCOL.md §2.2: an answer that does not fit the negotiated payload size is TOO_LARGE, not a broken frame.
            byte tooLarge = (byte)Mcp1.McpStatus.TooLarge;
            ConnectionLog.ReplyTooLarge(_logger, Name, DescribeCommand(requestCommand), headerLength + body.MaxLength, limit, _profile.DescribeStatus(tooLarge));
            _profile.WriteResponseHeader(header, requestHeader, tooLarge);
            return WriteFrameAsync(command, new HeaderPayload<BytesPayload>(header[..headerLength], default), cancellationToken);
        }

        _profile.WriteResponseHeader(header, requestHeader, status);
        return WriteFrameAsync(command, new HeaderPayload<TBody>(header[..headerLength], body), cancellationToken);
    }

    /// <summary>
    /// Writes one frame under the write gate. The last writer of a burst flushes for everyone before it. A flush that
    /// cannot complete at once (back-pressure) is handed to <see cref="CompleteFlushAsync"/>, which keeps the gate
    /// until it ends: the writer's frame is already committed to the transport, so the writer returns, and a request
    /// never waits on a flush past its own deadline.
    /// </summary>
    /// <param name="command">The command.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Gives up waiting for the gate; a frame given up before it is written is not written.</param>
    /// <param name="request">The waiter of the request being sent, if any: when it completes (timeout, cancellation) while
    /// the frame still waits for the gate, the wait ends and nothing is written.</param>
    /// <param name="requestToken">The waiter's use.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteFrameAsync<TPayload>(byte command, TPayload payload, CancellationToken cancellationToken, PendingRequest? request = null, long requestToken = 0)
        where TPayload : IFramePayload
    {
        Interlocked.Increment(ref _queuedWriters);
        try
        {
            if (!_writeGate.TryEnter())
            {
                // A request's wait ends with its waiter (timeout, cancellation, link loss: FailAllPending); any other
                // writer's with its own token or the connection's shutdown.
                await (request is not null
                    ? _writeGate.EnterAsync(request.GetCompletionToken(requestToken))
                    : _writeGate.EnterAsync(cancellationToken, _shutdown.Token)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !cancellationToken.IsCancellationRequested && request is null)
        {
            LeaveQueueWithoutWriting();
            throw CreateClosedException();
        }
        catch
        {
            LeaveQueueWithoutWriting();
            throw;
        }

        bool handedOff = false;
        try
        {
            Exception? error = null;
            if (Volatile.Read(ref _closed) != 0)
            {
                error = CreateClosedException();
            }
            else if (cancellationToken.IsCancellationRequested || (request is not null && !request.IsWaiting(requestToken)))
            {
                // Given up while waiting for the gate: nothing goes out (a cancelled WRITE must not reach the device).
                error = new OperationCanceledException($"Sending {DescribeCommand(command)} on {Name} was given up before it was written.", cancellationToken);
            }
            else
            {
                try
                {
                    WriteOne(command, ref payload);
                    request?.MarkWritten(requestToken); // before any flush, so before the peer can answer
                }
                catch (Exception ex)
                {
                    error = ex;
                }
            }

            // The last writer of a burst flushes for everyone before it (they wrote under the gate and left).
            if (Interlocked.Decrement(ref _queuedWriters) == 0 && Volatile.Read(ref _closed) == 0)
            {
                handedOff = StartFlush();
            }

            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            if (!handedOff)
            {
                _writeGate.Exit();
            }
        }
    }

    /// <summary>
    /// A writer gave up waiting for the gate. Writers before it may have skipped their flush counting on it, so if it
    /// was the last one queued, flush on its behalf.
    /// </summary>
    private void LeaveQueueWithoutWriting()
    {
        if (Interlocked.Decrement(ref _queuedWriters) == 0 && Volatile.Read(ref _closed) == 0)
        {
            _ = FlushOnBehalfAsync();
        }
    }

    private async Task FlushOnBehalfAsync()
    {
        try
        {
            await _writeGate.EnterAsync(_shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        bool handedOff = false;
        try
        {
            if (Volatile.Read(ref _queuedWriters) == 0 && Volatile.Read(ref _closed) == 0)
            {
                handedOff = StartFlush();
            }
        }
        catch (ConnectionClosedException)
        {
            // The close reason is reported by the connection itself.
        }
        finally
        {
            if (!handedOff)
            {
                _writeGate.Exit();
            }
        }
    }

    /// <summary>Flushes under the gate. Returns <see langword="true"/> when the flush continues in the background, which then owns the gate.</summary>
    /// <exception cref="ConnectionClosedException">The flush failed; the connection has ended.</exception>
    private bool StartFlush()
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _output.FlushAsync(_shutdown.Token);
        }
        catch (Exception ex)
        {
            throw OnFlushFailed(ex);
        }

        if (!flush.IsCompleted)
        {
            _ = CompleteFlushAsync(flush);
            return true;
        }

        FlushResult result;
        try
        {
            result = flush.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            throw OnFlushFailed(ex);
        }

        OnFlushed(result);
        return false;
    }

    private async Task CompleteFlushAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            OnFlushed(await flush.ConfigureAwait(false));
        }
        catch (ConnectionClosedException)
        {
            // OnFlushed ended the connection; it reports why.
        }
        catch (Exception ex)
        {
            OnFlushFailed(ex);
        }
        finally
        {
            _writeGate.Exit();
        }
    }

    private ConnectionClosedException OnFlushFailed(Exception error)
    {
        if (error is OperationCanceledException && _shutdown.IsCancellationRequested)
        {
            return CreateClosedException();
        }

        Shutdown(ConnectionCloseReason.TransportError, $"connection {Name} lost while writing: {error.Message}", error);
        return CreateClosedException();
    }

    private void OnFlushed(FlushResult result)
    {
        if (result.IsCompleted || (result.IsCanceled && !_shutdown.IsCancellationRequested))
        {
            Shutdown(ConnectionCloseReason.RemoteClosed, $"connection {Name}: the peer stopped reading", null);
            throw CreateClosedException();
        }

        if (result.IsCanceled)
        {
            throw CreateClosedException();
        }
    }

    private void WriteOne<TPayload>(byte command, ref TPayload payload)
        where TPayload : IFramePayload
    {
        int limit = MaxPayloadLength;
        int capacity = payload.MaxLength;
        if (capacity > limit)
        {
            throw new ArgumentException(
                $"Payload of {capacity} bytes for {DescribeCommand(command)} exceeds the payload limit of {limit} bytes on {Name}; nothing was sent.",
                nameof(payload));
        }

        FrameBuilder builder = FrameWriter.Begin(_output, command, capacity, limit);
        int written = payload.WriteTo(builder.Payload);
        int total = builder.Commit(written);
        _framesSent++;
        _bytesSent += total;
    }

    /// <summary>A profile header (seq, status…) followed by a body, written straight into the frame.</summary>
    private readonly struct HeaderPayload<TBody> : IFramePayload
        where TBody : IFramePayload
    {
        private readonly long _header;
        private readonly int _headerLength;
        private readonly TBody _body;

        public HeaderPayload(ReadOnlySpan<byte> header, TBody body)
        {
            Span<byte> bytes = stackalloc byte[sizeof(long)];
            bytes.Clear();
            header.CopyTo(bytes);
            _header = BinaryPrimitives.ReadInt64LittleEndian(bytes);
            _headerLength = header.Length;
            _body = body;
        }

        public int MaxLength => _headerLength + _body.MaxLength;

        public int WriteTo(Span<byte> destination)
        {
            long header = _header;
            for (int i = 0; i < _headerLength; i++)
            {
                destination[i] = (byte)(header >> (8 * i));
            }

            return _headerLength + _body.WriteTo(destination.Slice(_headerLength));
        }
    }
}
