using Mcp.Frames.Framing;
using Mcp.Frames.Profiles;
using Mcp.Frames.Transports;

namespace Mcp.Frames.Connections;

/// <content>The read loop: classifies each frame and hands it off without running user code.</content>
public sealed partial class FrameConnection
{
    private readonly Lock _subscriptionsLock = new();
    private OneWaySubscription[] _subscriptions = [];
    private long _unmatched;
    private long _malformed;
    private long _oneWayReceived;
    private long _eventsDropped;

    /// <summary>
    /// Subscribes to one-way messages of a command (optionally with a given first payload byte). Messages arrive in
    /// the subscription's own bounded queue.
    /// </summary>
    /// <param name="options">What to receive and how the queue behaves.</param>
    /// <returns>The subscription; dispose it to stop.</returns>
    /// <exception cref="ConnectionClosedException">The connection has ended.</exception>
    public OneWaySubscription SubscribeOneWay(OneWaySubscriptionOptions options) => SubscribeOneWay(options, null);

    /// <summary>As <see cref="SubscribeOneWay(OneWaySubscriptionOptions)"/>, with library code that sees each matching message on the read loop before it is queued.</summary>
    internal OneWaySubscription SubscribeOneWay(OneWaySubscriptionOptions options, IOneWayArrivals? arrivals)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var subscription = new OneWaySubscription(this, options, arrivals);
        lock (_subscriptionsLock)
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                throw CreateClosedException();
            }

            _subscriptions = [.. _subscriptions, subscription];
        }

        return subscription;
    }

    internal void RemoveSubscription(OneWaySubscription subscription)
    {
        lock (_subscriptionsLock)
        {
            _subscriptions = Array.FindAll(_subscriptions, s => !ReferenceEquals(s, subscription));
        }
    }

    internal void OnEventDropped()
    {
        Interlocked.Increment(ref _eventsDropped);
        _telemetry.EventsDropped.Add(1, _linkTag);
    }

    private void CompleteSubscriptions(Exception error)
    {
        OneWaySubscription[] subscriptions;
        lock (_subscriptionsLock)
        {
            subscriptions = _subscriptions;
            _subscriptions = [];
        }

        foreach (OneWaySubscription subscription in subscriptions)
        {
            subscription.Complete(error);
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = new FrameReader(_pipe.Input, _parser, new FrameReaderOptions { StallTimeout = _stallTimeout, TimeProvider = _time });
        try
        {
            await reader.RunAsync(new ReceiveSink(this), _shutdown.Token).ConfigureAwait(false);
            Shutdown(ConnectionCloseReason.RemoteClosed, $"connection {Name} closed by the peer (end of stream)", null);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Closed locally.
        }
        catch (Exception ex)
        {
            string why = ex is TransportException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            Shutdown(ConnectionCloseReason.TransportError, $"connection {Name} lost: {why}", ex);
        }
    }

    private void OnFrame(in Frame frame)
    {
        Volatile.Write(ref _lastReceived, _time.GetTimestamp());
        ReadOnlySpan<byte> payload = frame.Payload.Span;
        switch (_profile.Classify(frame.Command, payload))
        {
            case FrameKind.Response:
                OnResponse(frame.Command, payload);
                break;
            case FrameKind.Request:
                OnRequest(frame.Command, payload);
                break;
            case FrameKind.OneWay:
                OnOneWay(frame.Command, payload);
                break;
            default:
                Interlocked.Increment(ref _malformed);
                _telemetry.MalformedFrames.Add(1, _linkTag);
                ConnectionLog.MalformedFrame(_logger, Name, DescribeCommand(frame.Command), payload.Length);
                break;
        }
    }

    private void OnResponse(byte command, ReadOnlySpan<byte> payload)
    {
        PendingRequest? pending = null;
        ILateAnswerObserver? lateAnswer = null;
        long token = 0;
        if (_matcher.TryGetResponseKey(command, payload, out int key))
        {
            lock (_pendingLock)
            {
                // A request whose frame is not written yet cannot have been answered: this is a stray answer, or a late
                // one for an earlier request of the key, and is dropped as unmatched.
                if (_pending.TryGetValue(key, out PendingRequest? candidate) && candidate.IsWritten(candidate.Token))
                {
                    _pending.Remove(key);
                    pending = candidate;
                    lateAnswer = candidate.LateAnswer;
                    // Removed here so that no other path can see it. The token names this use of the pooled waiter:
                    // if the request times out before the answer is handed over, and the waiter is reused for a
                    // newer request, the answer cannot complete that newer request.
                    token = pending.Token;
                }
            }
        }

        if (pending is not null)
        {
            int bodyOffset = _profile.ReadResponseHeader(payload, out byte status);
            ReadOnlySpan<byte> body = payload.Slice(bodyOffset);
            byte[]? buffer = null;
            if (!body.IsEmpty)
            {
                buffer = _responseBuffers.Rent(body.Length);
                body.CopyTo(buffer);
            }

            if (pending.TrySetResponse(token, new Response(command, status, buffer, body.Length, _responseBuffers, key)))
            {
                return;
            }

            if (buffer is not null)
            {
                _responseBuffers.Return(buffer); // lost the race to a timeout or cancellation
            }
        }

        // Counted before an observer acts on it, so that whoever sees the observer's work (an UNSUBSCRIBE) sees the count.
        Interlocked.Increment(ref _unmatched);
        _telemetry.UnmatchedResponses.Add(1, _linkTag);
        if (_logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            ConnectionLog.UnmatchedResponse(_logger, Name, DescribeCommand(command), key >= 0 ? _matcher.DescribeKey(key) : "no key");
        }

        if (lateAnswer is not null)
        {
            OnLateAnswer(lateAnswer, command, key, payload); // given up a moment before its answer came
        }
        else if (pending is null && key >= 0 && TakeLateAnswerWatch(key) is { } observer)
        {
            // A request given up once sent left its observer in its place (see RemoveFailedPending).
            OnLateAnswer(observer, command, key, payload);
        }
    }

    private void OnOneWay(byte command, ReadOnlySpan<byte> payload)
    {
        Interlocked.Increment(ref _oneWayReceived);
        foreach (OneWaySubscription subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.Matches(command, payload))
            {
                subscription.Deliver(command, payload);
            }
        }
    }

    private sealed class ReceiveSink(FrameConnection owner) : IFrameSink
    {
        public bool OnFrame(in Frame frame)
        {
            owner.OnFrame(in frame);
            return true;
        }
    }

    private void OnLateAnswer(ILateAnswerObserver observer, byte command, int key, ReadOnlySpan<byte> payload)
    {
        ConnectionLog.LateAnswerObserved(_logger, Name, DescribeCommand(command), _matcher.DescribeKey(key));
        try
        {
            int bodyOffset = _profile.ReadResponseHeader(payload, out byte status);
            observer.OnLateAnswer(this, status, payload.Slice(bodyOffset));
        }
        catch (Exception ex)
        {
            // A bug in the observer: it must not end the link, nor go unseen.
            ConnectionLog.LateAnswerObserverFailed(_logger, Name, DescribeCommand(command), ex);
        }
    }

    /// <summary>Logs the failure of work the connection started in the background on behalf of its profile.</summary>
    internal void ReportBackgroundFailure(string what, Exception error) => ConnectionLog.BackgroundFailed(_logger, Name, what, error);
}
