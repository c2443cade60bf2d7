using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace Mcp.Frames.Connections;

/// <content>The requester role: match keys, waiters registered before sending, deadlines, retries.</content>
public sealed partial class FrameConnection
{
    /// <summary>How many timeout periods an abandoned match key stays out of use (PROTOCOL.md §2.1 asks for at least one).</summary>
    private const int RetirementTimeoutPeriods = 2;
    private const int LateAnswerWatches = 256; // retired keys are fewer: MCP/1 has 256 seqs, legacy 128 commands

    private readonly SemaphoreSlim _inFlight;
    private readonly Lock _pendingLock = new();
    private readonly Dictionary<int, PendingRequest> _pending = [];
    private readonly ConcurrentBag<PendingRequest> _pendingPool = [];
    private long _requestsSent;
    private long _requestsAnswered;
    private long _requestsTimedOut;
    private long _requestsTimedOutUnsent;
    private long _lastRoundTripTicks;
    private readonly Dictionary<int, LateAnswerWatch> _lateAnswers = []; // under _pendingLock
    private int _lateAnswerCount; // _lateAnswers.Count, readable without the lock

    /// <summary>
    /// Sends a request and waits for its answer, retrying on BUSY (and, for idempotent requests, on timeout) with
    /// backoff. Dispose the returned response after reading its body.
    /// </summary>
    /// <param name="command">The request's command.</param>
    /// <param name="body">The body (after the profile's header, which the connection writes).</param>
    /// <param name="options">Timeout and retry settings; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Gives up the request; its match key is then retired for two timeout periods.</param>
    /// <returns>The OK answer.</returns>
    /// <exception cref="RemoteStatusException">The peer answered with another status (after any BUSY retries).</exception>
    /// <exception cref="RequestTimeoutException">No answer within the timeout (after any retries).</exception>
    /// <exception cref="ConnectionClosedException">The link ended before the answer came.</exception>
    /// <exception cref="ArgumentException">The body exceeds the link's payload limit; nothing was sent.</exception>
    public ValueTask<Response> SendRequestAsync(byte command, ReadOnlyMemory<byte> body = default, RequestOptions? options = null, CancellationToken cancellationToken = default) =>
        SendRequestAsync(command, new BytesPayload(body), options, cancellationToken);

    /// <summary>Sends a request whose body writes itself into the frame; see <see cref="SendRequestAsync(byte, ReadOnlyMemory{byte}, RequestOptions?, CancellationToken)"/>.</summary>
    /// <typeparam name="TBody">The body type (a struct, for no allocation).</typeparam>
    /// <param name="command">The request's command.</param>
    /// <param name="body">The body.</param>
    /// <param name="options">Timeout and retry settings.</param>
    /// <param name="cancellationToken">Gives up the request.</param>
    /// <returns>The OK answer.</returns>
    public ValueTask<Response> SendRequestAsync<TBody>(byte command, TBody body, RequestOptions? options = null, CancellationToken cancellationToken = default)
        where TBody : IFramePayload =>
        SendRequestAsync(command, body, options, lateAnswer: null, cancellationToken);

    /// <summary>
    /// As <see cref="SendRequestAsync{TBody}(byte, TBody, RequestOptions?, CancellationToken)"/>; an answer that comes
    /// for an attempt after it was given up (timed out or cancelled), while its key is retired, goes to
    /// <paramref name="lateAnswer"/> (on the read loop: it must only hand the work on).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<Response> SendRequestAsync<TBody>(byte command, TBody body, RequestOptions? options, ILateAnswerObserver? lateAnswer, CancellationToken cancellationToken)
        where TBody : IFramePayload
    {
        options ??= RequestOptions.Default;
        options.Validate();
        TimeSpan timeout = options.Timeout ?? _requestTimeout;
        int attempt = 0;
        while (true)
        {
            Response response;
            try
            {
                response = await SendOnceAsync(command, body, timeout, lateAnswer, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestTimeoutException) when (options.Idempotent && attempt < options.MaxRetries)
            {
                await BackoffAsync(options, attempt++, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (!_profile.HasStatus || response.Status == _profile.OkStatus)
            {
                return response;
            }

            if (response.Status == _profile.BusyStatus && attempt < options.MaxRetries)
            {
                response.Dispose();
                await BackoffAsync(options, attempt++, cancellationToken).ConfigureAwait(false);
                continue;
            }

            _telemetry.RequestsFailed.Add(1, _linkTag);
            RemoteStatusException error = CreateStatusException(command, response);
            response.Dispose();
            throw error;
        }
    }

    /// <summary>
    /// Sends a request once and returns whatever status comes back, with no retries and no exception for a non-OK
    /// status (for tools that show raw answers).
    /// </summary>
    /// <param name="command">The request's command.</param>
    /// <param name="body">The body.</param>
    /// <param name="timeout">The timeout; <see langword="null"/> for the connection's default.</param>
    /// <param name="cancellationToken">Gives up the request.</param>
    /// <returns>The answer, any status.</returns>
    /// <exception cref="RequestTimeoutException">No answer within the timeout.</exception>
    /// <exception cref="ConnectionClosedException">The link ended before the answer came.</exception>
    public ValueTask<Response> SendRawRequestAsync(byte command, ReadOnlyMemory<byte> body, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendOnceAsync(command, new BytesPayload(body), timeout ?? _requestTimeout, null, cancellationToken);

    internal void RemovePending(PendingRequest request) => RemovePending(request, failedToken: null);

    /// <summary>
    /// Removes a request that failed (timeout, cancellation, link loss). If its frame was written and it has a
    /// late-answer observer, the observer takes its place under the same lock, so no answer can come in between.
    /// </summary>
    internal void RemoveFailedPending(PendingRequest request, long token) => RemovePending(request, failedToken: token);

    private void RemovePending(PendingRequest request, long? failedToken)
    {
        lock (_pendingLock)
        {
            if (!_pending.TryGetValue(request.Key, out PendingRequest? current) || !ReferenceEquals(current, request))
            {
                return;
            }

            _pending.Remove(request.Key);
            if (failedToken is { } token && request.LateAnswer is { } observer && request.IsWritten(token))
            {
                WatchForLateAnswerLocked(request.Key, request.Timeout * RetirementTimeoutPeriods, observer);
            }
        }
    }

    internal RequestTimeoutException CreateTimeoutException(PendingRequest request, bool written)
    {
        string what = $"Request {DescribeCommand(request.Command)} ({_matcher.DescribeKey(request.Key)}) on {Name}";
        double ms = request.Timeout.TotalMilliseconds;
        return new(written ? $"{what} got no answer within {ms:0} ms." : $"{what} waited {ms:0} ms for the writer and was not sent.")
        {
            Command = request.Command,
            Timeout = request.Timeout,
            LinkName = Name,
        };
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Response> SendOnceAsync<TBody>(byte command, TBody body, TimeSpan timeout, ILateAnswerObserver? lateAnswer, CancellationToken cancellationToken)
        where TBody : IFramePayload
    {
        ThrowIfNotOpen();
        cancellationToken.ThrowIfCancellationRequested(); // a request given up before it starts is never sent
        long start = _time.GetTimestamp();
        if (!_inFlight.Wait(0, CancellationToken.None))
        {
            await WaitWithDeadlineAsync(_inFlight, null, command, start, timeout, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (!_matcher.TryAcquire(command, out int key))
            {
                key = await WaitWithDeadlineAsync(null, _matcher, command, start, timeout, cancellationToken).ConfigureAwait(false);
            }

            return await SendWithKeyAsync(command, key, body, timeout, timeout - _time.GetElapsedTime(start), lateAnswer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Response> SendWithKeyAsync<TBody>(byte command, int key, TBody body, TimeSpan timeout, TimeSpan remaining, ILateAnswerObserver? lateAnswer, CancellationToken cancellationToken)
        where TBody : IFramePayload
    {
        if (remaining <= TimeSpan.Zero)
        {
            remaining = TimeSpan.FromTicks(1);
        }

        PendingRequest pending = RentPending();
        pending.Arm(key, command, timeout, remaining, lateAnswer, cancellationToken);
        long token = pending.Token;
        bool closed;
        bool duplicate;
        lock (_pendingLock)
        {
            // Shutdown marks the connection closed before FailAllPending takes this lock: a waiter registered after
            // that would never be failed by it, so it is failed here instead.
            closed = Volatile.Read(ref _closed) != 0;
            duplicate = !closed && !_pending.TryAdd(key, pending);
            if (!closed && !duplicate && _lateAnswerCount != 0)
            {
                // The key is in use again: an answer for it is this request's, never an earlier one's late answer.
                RemoveLateAnswerWatchLocked(key);
            }
        }

        if (duplicate)
        {
            ReturnUnused(pending); // the key belongs to the request already in flight, so it is not released
            throw new InvalidOperationException($"Match key {_matcher.DescribeKey(key)} on {Name} is already in flight: the profile's matcher handed it out twice.");
        }

        if (closed)
        {
            // It took a slot freed by the shutdown: it was never sent, so it is not counted as an attempt.
            ReturnUnused(pending);
            _matcher.Release(key, abandoned: false, TimeSpan.Zero);
            throw CreateClosedException();
        }

        using Activity? activity = FramesTelemetry.ActivitySource.StartActivity("mcp.request", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("mcp.link", Name);
            activity.SetTag("mcp.command", DescribeCommand(command));
            activity.SetTag("mcp.key", _matcher.DescribeKey(key));
        }

        bool written = false;
        bool abandoned = false;
        try
        {
            try
            {
                // The waiter is registered above, before the request can reach the peer.
                await WriteFrameAsync(command, new RequestPayload<TBody>(_matcher, _profile.RequestHeaderLength, key, body), cancellationToken, pending, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                pending.TryFail(token, ex);
            }

            // Counted as sent only once its frame is committed to the transport (a write refused as too large, or
            // given up while it waited for the writer, sent nothing); the write attempt is over either way.
            written = pending.IsWritten(token);
            if (written)
            {
                Interlocked.Increment(ref _requestsSent);
                _telemetry.RequestsStarted.Add(1, _linkTag);
                _telemetry.InFlight.Add(1, _linkTag);
            }

            Response response = await pending.Task.ConfigureAwait(false);
            TimeSpan rtt = _time.GetElapsedTime(pending.StartTimestamp);
            Volatile.Write(ref _lastRoundTripTicks, Math.Max(1, rtt.Ticks));
            Interlocked.Increment(ref _requestsAnswered);
            _telemetry.RequestDuration.Record(rtt.TotalSeconds, _linkTag);
            if (response.Status == _profile.OkStatus || !_profile.HasStatus)
            {
                _telemetry.RequestsCompleted.Add(1, _linkTag);
            }
            else if (activity is not null)
            {
                string status = _profile.DescribeStatus(response.Status);
                activity.SetTag("mcp.status", status);
                activity.SetStatus(ActivityStatusCode.Error, status);
            }

            return response;
        }
        catch (RequestTimeoutException)
        {
            // Only a request that reached the wire can draw a late answer; one that timed out before it was written
            // frees its key at once, and counts with the other requests that timed out unsent.
            abandoned = written;
            if (written)
            {
                Interlocked.Increment(ref _requestsTimedOut);
                _telemetry.RequestsTimedOut.Add(1, _linkTag);
            }
            else
            {
                Interlocked.Increment(ref _requestsTimedOutUnsent);
                _telemetry.RequestsTimedOutUnsent.Add(1, _linkTag);
            }

            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            throw;
        }
        catch (Exception ex)
        {
            abandoned = written && ex is OperationCanceledException;
            if (written)
            {
                _telemetry.RequestsFailed.Add(1, _linkTag);
            }

            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
        finally
        {
            RemovePending(pending);
            pending.Recycle();
            if (written)
            {
                _telemetry.InFlight.Add(-1, _linkTag);
            }

            // PROTOCOL.md §2.1: an abandoned seq stays out of use for at least one more timeout period. Two are used:
            // a device that queued the request behind others may answer later than one more period, and seqs are
            // plentiful (256, at most MaxInFlight in use), so the longer retirement costs nothing.
            _matcher.Release(key, abandoned, timeout * RetirementTimeoutPeriods);

            _pendingPool.Add(pending); // last: from here on another request may reuse it
        }
    }

    /// <summary>
    /// Hands the answer that comes for <paramref name="key"/> within <paramref name="retiredFor"/> to
    /// <paramref name="observer"/> (under <c>_pendingLock</c>). A key that is drawn again drops its watch
    /// (<see cref="RemoveLateAnswerWatchLocked"/>), so the watch never outlives the key's retirement. Bounded by
    /// <see cref="LateAnswerWatches"/>: expired watches go first, then the oldest.
    /// </summary>
    private void WatchForLateAnswerLocked(int key, TimeSpan retiredFor, ILateAnswerObserver observer)
    {
        long now = _time.GetTimestamp();
        if (_lateAnswers.Count >= LateAnswerWatches && !_lateAnswers.ContainsKey(key))
        {
            int oldest = -1;
            long oldestUntil = long.MaxValue;
            foreach ((int watched, LateAnswerWatch watch) in _lateAnswers)
            {
                if (watch.Until <= now)
                {
                    _lateAnswers.Remove(watched); // allowed while enumerating a Dictionary
                }
                else if (watch.Until < oldestUntil)
                {
                    (oldest, oldestUntil) = (watched, watch.Until);
                }
            }

            if (_lateAnswers.Count >= LateAnswerWatches)
            {
                _lateAnswers.Remove(oldest);
            }
        }

        _lateAnswers[key] = new LateAnswerWatch(now + (long)(retiredFor.TotalSeconds * _time.TimestampFrequency), observer);
        _lateAnswerCount = _lateAnswers.Count;
    }

    private void RemoveLateAnswerWatchLocked(int key)
    {
        _lateAnswers.Remove(key);
        _lateAnswerCount = _lateAnswers.Count;
    }

    /// <summary>Takes the watch for a late answer to <paramref name="key"/>, if one is still within its retirement.</summary>
    private ILateAnswerObserver? TakeLateAnswerWatch(int key)
    {
        if (Volatile.Read(ref _lateAnswerCount) == 0)
        {
            return null;
        }

        long now = _time.GetTimestamp();
        lock (_pendingLock)
        {
            if (!_lateAnswers.Remove(key, out LateAnswerWatch watch))
            {
                return null;
            }

            _lateAnswerCount = _lateAnswers.Count;
            return watch.Until > now ? watch.Observer : null;
        }
    }

    /// <summary>Gives back a waiter that was armed but never registered for an answer.</summary>
    private void ReturnUnused(PendingRequest pending)
    {
        pending.Recycle();
        _pendingPool.Add(pending);
    }

    private PendingRequest RentPending() => _pendingPool.TryTake(out PendingRequest? pending) ? pending : new PendingRequest(this, _time);

    private async ValueTask<int> WaitWithDeadlineAsync(SemaphoreSlim? gate, Profiles.IRequestMatcher? matcher, byte command, long start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        TimeSpan remaining = timeout - _time.GetElapsedTime(start);
        using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromTicks(1), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token, _shutdown.Token);
        try
        {
            if (gate is not null)
            {
                await gate.WaitAsync(linked.Token).ConfigureAwait(false);
                return 0;
            }

            return await matcher!.AcquireAsync(command, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            // This may run inside a cancellation callback (the shutdown's, a deadline's) that wakes other waiters
            // too: leave it before the caller's code can continue here.
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
            string waitedFor = gate is not null ? $"a free slot ({MaxInFlight} requests in flight)" : "a free match key";
            if (cancellationToken.IsCancellationRequested)
            {
                // Named by the caller's token (not the linked one), like a cancellation after the request was sent.
                throw new OperationCanceledException($"Request {DescribeCommand(command)} on {Name} was cancelled while it waited for {waitedFor} and was not sent.", ex, cancellationToken);
            }

            if (_shutdown.IsCancellationRequested)
            {
                throw CreateClosedException();
            }

            // Not an attempt that went unanswered (RequestsTimedOut pairs with RequestsSent): the link is saturated.
            Interlocked.Increment(ref _requestsTimedOutUnsent);
            _telemetry.RequestsTimedOutUnsent.Add(1, _linkTag);
            throw new RequestTimeoutException($"Request {DescribeCommand(command)} on {Name} waited {timeout.TotalMilliseconds:0} ms for {waitedFor} and was not sent.")
            {
                Command = command,
                Timeout = timeout,
                LinkName = Name,
            };
        }
    }

    /// <summary>Waits before a retry; the link's end cuts the wait short with <see cref="ConnectionClosedException"/>.</summary>
    private async Task BackoffAsync(RequestOptions options, int attempt, CancellationToken cancellationToken)
    {
        TimeSpan delay = options.GetRetryDelay(attempt);
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        try
        {
            await Task.Delay(delay, _time, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw CreateClosedException();
        }
        catch (OperationCanceledException ex)
        {
            throw new OperationCanceledException($"Request on {Name} was cancelled while it waited {delay.TotalMilliseconds:0} ms to be retried.", ex, cancellationToken);
        }
    }

    private RemoteStatusException CreateStatusException(byte command, Response response)
    {
        string statusName = _profile.DescribeStatus(response.Status);
        string? remoteMessage = null;
        if (!response.Body.IsEmpty)
        {
            try
            {
                remoteMessage = new UTF8Encoding(false, true).GetString(response.Body.Span);
            }
            catch (DecoderFallbackException)
            {
                // §2.2: the text is informational; a device may send anything.
            }
        }

        string suffix = remoteMessage is null ? "" : $": {Mcp1.PeerText.Escape(remoteMessage)}";
        return new RemoteStatusException($"Request {DescribeCommand(command)} ({_matcher.DescribeKey(response.Key)}) on {Name} was answered {statusName} (0x{response.Status:X2}){suffix}.")
        {
            Command = command,
            Status = response.Status,
            StatusName = statusName,
            RemoteMessage = remoteMessage,
            LinkName = Name,
        };
    }

    private void FailAllPending(Exception error)
    {
        (PendingRequest Request, long Token)[] pending;
        lock (_pendingLock)
        {
            pending = new (PendingRequest, long)[_pending.Count];
            int i = 0;
            foreach (PendingRequest request in _pending.Values)
            {
                pending[i++] = (request, request.Token); // named by use: one recycled meanwhile is left alone
            }

            _pending.Clear();
        }

        foreach ((PendingRequest request, long token) in pending)
        {
            request.TryFail(token, error);
        }
    }

    private readonly struct RequestPayload<TBody>(Profiles.IRequestMatcher matcher, int headerLength, int key, TBody body) : IFramePayload
        where TBody : IFramePayload
    {
        public int MaxLength => headerLength + body.MaxLength;

        public int WriteTo(Span<byte> destination)
        {
            matcher.WriteRequestHeader(key, destination);
            return headerLength + body.WriteTo(destination.Slice(headerLength));
        }
    }

    private readonly record struct LateAnswerWatch(long Until, ILateAnswerObserver Observer);
}
