using System.Threading.Tasks.Sources;

namespace Mcp.Frames.Connections;

/// <summary>
/// The waiter of one request in flight, pooled per connection so that a request costs no allocation in steady state.
/// Exactly one of response, timeout, cancellation or link loss completes it: each path first wins the
/// <c>_state</c> compare-exchange. Continuations always run asynchronously, never on the read loop.
/// </summary>
/// <remarks>
/// <para>
/// Because the object is reused, every completion names the use it is meant for: <c>_state</c> holds a generation
/// (incremented by <see cref="Arm"/>) next to the state, and a completer compares both. A path that looked the waiter up
/// for an earlier request — the read loop holding a response for a request that has meanwhile timed out, a timer
/// callback arriving late — then cannot complete the newer request that reuses the object.
/// </para>
/// <para>
/// OS timers fire on a coarse tick and may call back slightly before the high-resolution deadline; such a callback
/// re-arms the timer for the rest instead of being ignored (ignoring it would leave the request without a timeout).
/// </para>
/// </remarks>
internal sealed class PendingRequest : IValueTaskSource<Response>
{
    private const long StateMask = 3;
    private const long Idle = 0;
    private const long Waiting = 1;
    private const long Done = 2;

    private readonly FrameConnection _owner;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private ManualResetValueTaskSourceCore<Response> _core;
    private CancellationTokenRegistration _cancellation;
    private CancellationTokenSource? _completed; // cancelled when a use fails; made only when a send has to wait for the writer
    private long _state; // generation << 2 | state
    private long _writtenToken; // the use whose frame was committed to the transport (0: none yet)
    private long _deadline;

    public PendingRequest(FrameConnection owner, TimeProvider time)
    {
        _owner = owner;
        _time = time;
        _core.RunContinuationsAsynchronously = true;
        _timer = time.CreateTimer(static s => ((PendingRequest)s!).OnTimer(), this, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
    }

    public int Key { get; private set; }

    public byte Command { get; private set; }

    public TimeSpan Timeout { get; private set; }

    public long StartTimestamp { get; private set; }

    /// <summary>The token of the current use: pass it to <see cref="TrySetResponse"/> and <see cref="TryFail(long, Exception)"/>.</summary>
    public long Token => Volatile.Read(ref _state) & ~StateMask;

    public ValueTask<Response> Task => new(this, _core.Version);

    /// <summary>Told of an answer that comes after the current use failed (set by <see cref="Arm"/>).</summary>
    public ILateAnswerObserver? LateAnswer { get; private set; }

    /// <summary>Notes that the frame of the use named by <paramref name="token"/> is committed to the transport (before it is flushed).</summary>
    public void MarkWritten(long token) => Volatile.Write(ref _writtenToken, token);

    /// <summary>
    /// Whether the frame of the use named by <paramref name="token"/> was committed to the transport: only then can the
    /// peer answer it, be counted as sent, or draw a late answer that retires its key.
    /// </summary>
    public bool IsWritten(long token) => Volatile.Read(ref _writtenToken) == token;

    /// <summary>Whether the use named by <paramref name="token"/> still waits for its answer.</summary>
    public bool IsWaiting(long token) => Volatile.Read(ref _state) == (token | Waiting);

    /// <summary>
    /// A token cancelled when the use named by <paramref name="token"/> fails (timeout, cancellation, link loss), so
    /// that a send waiting for the writer stops waiting at the request's deadline. Only the requester calls it.
    /// </summary>
    public CancellationToken GetCompletionToken(long token)
    {
        CancellationTokenSource completed = _completed ?? Interlocked.CompareExchange(ref _completed, new CancellationTokenSource(), null) ?? _completed;
        if (!IsWaiting(token))
        {
            completed.Cancel(); // failed before the token existed
        }

        return completed.Token;
    }

    /// <summary>
    /// Starts a use: <paramref name="timeout"/> is the caller's whole timeout (reported on expiry), <paramref name="remaining"/>
    /// what is left of it after waiting for a slot and a key; <paramref name="lateAnswer"/> is told of an answer that
    /// comes after this use failed once its frame was written.
    /// </summary>
    public void Arm(int key, byte command, TimeSpan timeout, TimeSpan remaining, ILateAnswerObserver? lateAnswer, CancellationToken cancellationToken)
    {
        Key = key;
        LateAnswer = lateAnswer;
        Command = command;
        Timeout = timeout;
        StartTimestamp = _time.GetTimestamp();
        Volatile.Write(ref _deadline, StartTimestamp + (long)(remaining.TotalSeconds * _time.TimestampFrequency));
        Volatile.Write(ref _state, (Volatile.Read(ref _state) & ~StateMask) + (StateMask + 1) + Waiting);
        _timer.Change(remaining, System.Threading.Timeout.InfiniteTimeSpan);
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (s, ct) => ((PendingRequest)s!).OnCancelled(ct), this);
        }
    }

    /// <summary>Completes the use named by <paramref name="token"/> with its answer.</summary>
    public bool TrySetResponse(long token, Response response)
    {
        if (Interlocked.CompareExchange(ref _state, token | Done, token | Waiting) != (token | Waiting))
        {
            return false;
        }

        _core.SetResult(response);
        return true;
    }

    /// <summary>Fails the use named by <paramref name="token"/>.</summary>
    public bool TryFail(long token, Exception error)
    {
        if (Interlocked.CompareExchange(ref _state, token | Done, token | Waiting) != (token | Waiting))
        {
            return false;
        }

        _owner.RemoveFailedPending(this, token);
        Volatile.Read(ref _completed)?.Cancel(); // before the requester can resume and recycle this object
        _core.SetException(error);
        return true;
    }

    /// <summary>Fails the current use; only for the requester, which owns the current use.</summary>
    public bool TryFail(Exception error) => TryFail(Token, error);

    /// <summary>Called by the requester after it has the result: stops the timer and the registration, resets for reuse.</summary>
    public void Recycle()
    {
        _timer.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        _cancellation.Dispose(); // waits for a cancellation callback that is running
        _cancellation = default;
        if (_completed is { } completed && !completed.TryReset())
        {
            completed.Dispose(); // cancelled: a new one is made when needed
            _completed = null;
        }

        _core.Reset();
        LateAnswer = null;
        Volatile.Write(ref _state, (Volatile.Read(ref _state) & ~StateMask) | Idle);
    }

    public Response GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnTimer()
    {
        long state = Volatile.Read(ref _state);
        if ((state & StateMask) != Waiting)
        {
            return; // a late callback from an earlier use, or already completed
        }

        long remaining = Volatile.Read(ref _deadline) - _time.GetTimestamp();
        if (remaining > 0)
        {
            // Fired early (coarse OS tick) or belongs to an earlier use: wait for the rest of this use's deadline.
            _timer.Change(TimeSpan.FromSeconds((double)remaining / _time.TimestampFrequency) + TimeSpan.FromTicks(1), System.Threading.Timeout.InfiniteTimeSpan);
            return;
        }

        long token = state & ~StateMask;
        TryFail(token, _owner.CreateTimeoutException(this, IsWritten(token)));
    }

    private void OnCancelled(CancellationToken cancellationToken) => TryFail(new OperationCanceledException(
        $"Request {_owner.DescribeCommand(Command)} ({_owner.DescribeKey(Key)}) on {_owner.Name} was cancelled.", cancellationToken));
}
