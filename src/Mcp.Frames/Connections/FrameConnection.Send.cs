using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using Mcp.Frames.Framing;

namespace Mcp.Frames.Connections;

/// <content>The writer: one frame at a time into the transport, frames of a burst coalesced into one flush.</content>
public sealed partial class FrameConnection
{
    private readonly SemaphoreSlim _writeGate = new(1, 1);
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

    private async ValueTask WriteFrameAsync<TPayload>(byte command, TPayload payload, CancellationToken cancellationToken)
        where TPayload : IFramePayload
    {
        Interlocked.Increment(ref _queuedWriters);
        try
        {
            if (!_writeGate.Wait(0, CancellationToken.None))
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
                await _writeGate.WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LeaveQueueWithoutWriting();
            throw CreateClosedException();
        }
        catch
        {
            LeaveQueueWithoutWriting();
            throw;
        }

        try
        {
            ExceptionDispatchInfo? error = null;
            try
            {
                if (Volatile.Read(ref _closed) != 0)
                {
                    throw CreateClosedException();
                }

                WriteOne(command, ref payload);
            }
            catch (Exception ex)
            {
                error = ExceptionDispatchInfo.Capture(ex);
            }

            // The last writer of a burst flushes for everyone before it (they wrote under the gate and left).
            if (Interlocked.Decrement(ref _queuedWriters) == 0 && Volatile.Read(ref _closed) == 0)
            {
                await FlushAsync().ConfigureAwait(false);
            }

            error?.Throw();
        }
        finally
        {
            _writeGate.Release();
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
            await _writeGate.WaitAsync(_shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (Volatile.Read(ref _queuedWriters) == 0 && Volatile.Read(ref _closed) == 0)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (ConnectionClosedException)
        {
            // The close reason is reported by the connection itself.
        }
        finally
        {
            _writeGate.Release();
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

    private async ValueTask FlushAsync()
    {
        FlushResult result;
        try
        {
            result = await _output.FlushAsync(_shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            throw CreateClosedException();
        }
        catch (Exception ex)
        {
            Shutdown(ConnectionCloseReason.TransportError, $"connection {Name} lost while writing: {ex.Message}", ex);
            throw CreateClosedException();
        }

        if (result.IsCompleted || result.IsCanceled)
        {
            Shutdown(ConnectionCloseReason.RemoteClosed, $"connection {Name}: the peer stopped reading", null);
            throw CreateClosedException();
        }
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
