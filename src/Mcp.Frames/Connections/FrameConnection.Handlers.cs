using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Mcp.Frames.Connections;

/// <content>The device role: received requests go through a bounded queue to handler tasks.</content>
public sealed partial class FrameConnection
{
    /// <summary>
    /// Automatic replies (UNKNOWN_COMMAND, BUSY) waiting for the writer: as many as MCP/1 has seqs, so a peer that
    /// pipelines up to 256 requests, as the protocol allows, gets an answer to each.
    /// </summary>
    private const int ControlReplyCapacity = 256;
    private static readonly RequestHandler EchoHandler = static (request, ct) =>
        request.ReplyAsync(request.Connection.Profile.OkStatus, request.Body, ct);

    private readonly RequestHandler?[] _handlers = new RequestHandler?[256];
    private long _rejected;
    private long _handled;
    private long _controlDropped;
    private readonly LogThrottle _rejectedLog;
    private readonly LogThrottle _controlDroppedLog;

    /// <summary>
    /// Sets the handler of a request command, replacing any earlier one (the heartbeat command is answered with an
    /// echo until a handler replaces it). Handlers run on handler tasks, at most
    /// <see cref="FrameConnectionOptions.HandlerConcurrency"/> at once; requests with no handler are answered with the
    /// profile's UNKNOWN_COMMAND status (or dropped by profiles without status).
    /// </summary>
    /// <param name="command">The request command.</param>
    /// <param name="handler">The handler, or <see langword="null"/> to remove it.</param>
    public void MapRequestHandler(byte command, RequestHandler? handler) => Volatile.Write(ref _handlers[command], handler);

    private void OnRequest(byte command, ReadOnlySpan<byte> payload)
    {
        RequestHandler? handler = Volatile.Read(ref _handlers[command]);
        int headerLength = Math.Min(_profile.RequestHeaderLength, payload.Length);
        if (handler is null)
        {
            ConnectionLog.NoHandler(_logger, Name, DescribeCommand(command));
            QueueControlReply(command, payload.Slice(0, headerLength), _profile.UnknownCommandStatus);
            return;
        }

        byte[] buffer = _requestBuffers.Rent(payload.Length);
        payload.CopyTo(buffer);
        if (_inbound.TryWrite(new InboundRequest(command, handler, buffer, payload.Length, headerLength)))
        {
            return;
        }

        _requestBuffers.Return(buffer);
        if (Volatile.Read(ref _closed) != 0)
        {
            return; // the connection is ending: nobody will read the answer
        }

        Interlocked.Increment(ref _rejected);
        _telemetry.InboundRequestsRejected.Add(1, _linkTag);
        if (_rejectedLog.ShouldLog(out long heldBack))
        {
            ConnectionLog.RequestRejected(_logger, Name, DescribeCommand(command), _inboundCapacity, heldBack);
        }

        QueueControlReply(command, payload.Slice(0, headerLength), _profile.BusyStatus);
    }

    private void QueueControlReply(byte command, ReadOnlySpan<byte> requestHeader, byte status)
    {
        if (!_profile.HasStatus)
        {
            return; // nothing to say without a status byte
        }

        int header = 0;
        for (int i = 0; i < requestHeader.Length && i < sizeof(int); i++)
        {
            header |= requestHeader[i] << (8 * i);
        }

        if (!_controlReplies.Writer.TryWrite(new ControlReply(command, header, requestHeader.Length, status)) && Volatile.Read(ref _closed) == 0)
        {
            long dropped = Interlocked.Increment(ref _controlDropped);
            _telemetry.ControlRepliesDropped.Add(1, _linkTag);
            if (_controlDroppedLog.ShouldLog(out _))
            {
                ConnectionLog.ControlReplyDropped(_logger, Name, dropped);
            }
        }
    }

    private async Task HandlerLoopAsync()
    {
        var context = new RequestContext(this);
        var waiter = new InboundRequestQueue.Waiter();
        CancellationToken ct = _handlersShutdown.Token;
        try
        {
            // Shutdown completes the queue, which ends the wait; one handler task is woken per request.
            while (!ct.IsCancellationRequested && await _inbound.ReadAsync(waiter).ConfigureAwait(false))
            {
                InboundRequest request = waiter.Request;
                waiter.Request = default;
                context.Reset(request.Command, request.Buffer, request.Length, request.HeaderLength);
                try
                {
                    await HandleOneAsync(request, context, ct).ConfigureAwait(false);
                }
                finally
                {
                    _requestBuffers.Return(context.DetachBuffer());
                    Interlocked.Increment(ref _handled);
                }
            }
        }
        catch (Exception ex)
        {
            // HandleOneAsync lets nothing through; this is a bug in the loop itself. Keep it visible, never unobserved.
            ConnectionLog.LoopFailed(_logger, Name, ex);
        }
        finally
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                ReleaseQueuedRequests();
            }
        }
    }

    /// <summary>Runs one handler; whatever it does, the loop goes on (and the request gets an answer while the link is up).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask HandleOneAsync(InboundRequest request, RequestContext context, CancellationToken ct)
    {
        try
        {
            await request.Handler(context, ct).ConfigureAwait(false);
            if (!context.HasReplied && _profile.HasStatus)
            {
                ConnectionLog.HandlerDidNotReply(_logger, Name, DescribeCommand(request.Command), _profile.DescribeStatus(_profile.InternalErrorStatus));
                await TryReplyAsync(context, _profile.InternalErrorStatus, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (Volatile.Read(ref _closed) != 0 && ex is OperationCanceledException or ConnectionClosedException)
        {
            // The connection closed under the handler.
        }
        catch (ProtocolException ex) when (!context.HasReplied)
        {
            // The handler found the request's body malformed (the MCP/1 request readers throw this): the peer's
            // mistake, not the device's, so BAD_REQUEST (PROTOCOL.md §2.2) and a warning rather than an error.
            ConnectionLog.MalformedRequest(_logger, Name, DescribeCommand(request.Command), _profile.DescribeStatus(_profile.BadRequestStatus), ex.Message);
            if (_profile.HasStatus)
            {
                await TryReplyAsync(context, _profile.BadRequestStatus, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Includes a ConnectionClosedException or cancellation from another link the handler used: this link is
            // up, so the request is answered and the handler loop goes on.
            ConnectionLog.HandlerFailed(_logger, Name, DescribeCommand(request.Command), ex);
            if (!context.HasReplied && _profile.HasStatus)
            {
                await TryReplyAsync(context, _profile.InternalErrorStatus, ct).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask TryReplyAsync(RequestContext context, byte status, CancellationToken ct)
    {
        try
        {
            await context.ReplyAsync(status, default, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionClosedException or OperationCanceledException)
        {
            // The link is gone; nobody is waiting for the answer.
        }
        catch (Exception ex)
        {
            ConnectionLog.ControlReplyFailed(_logger, Name, DescribeCommand(context.Command), _profile.DescribeStatus(status), ex);
        }
    }

    private async Task ControlReplyLoopAsync()
    {
        ChannelReader<ControlReply> reader = _controlReplies.Reader;
        CancellationToken ct = _shutdown.Token;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out ControlReply reply))
            {
                try
                {
                    await SendControlReplyAsync(reply, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ConnectionClosedException)
                {
                    return; // the connection closed
                }
                catch (Exception ex)
                {
                    // For example a link limit too small even for a bare status: drop this reply, keep the loop.
                    ConnectionLog.ControlReplyFailed(_logger, Name, DescribeCommand(reply.Command), _profile.DescribeStatus(reply.Status), ex);
                }
            }
        }
    }

    private ValueTask SendControlReplyAsync(ControlReply reply, CancellationToken ct)
    {
        Span<byte> header = stackalloc byte[sizeof(int)];
        for (int i = 0; i < reply.HeaderLength; i++)
        {
            header[i] = (byte)(reply.Header >> (8 * i));
        }

        return SendResponseAsync(reply.Command, header[..reply.HeaderLength], reply.Status, BytesPayload.Empty, ct);
    }

    private readonly record struct ControlReply(byte Command, int Header, int HeaderLength, byte Status);
}
