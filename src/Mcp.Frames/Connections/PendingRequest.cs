using System.Threading.Tasks.Sources;

namespace Mcp.Frames.Connections;

/// <summary>
/// The waiter of one request in flight, pooled per connection so that a request costs no allocation in steady state.
/// Exactly one of response, timeout, cancellation or link loss completes it: each path first wins the
/// <c>_state</c> compare-exchange. Continuations always run asynchronously, never on the read loop.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<Response>
{
    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Done = 2;

    private readonly FrameConnection _owner;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private ManualResetValueTaskSourceCore<Response> _core;
    private CancellationTokenRegistration _cancellation;
    private int _state;
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

    public ValueTask<Response> Task => new(this, _core.Version);

    public void Arm(int key, byte command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Key = key;
        Command = command;
        Timeout = timeout;
        StartTimestamp = _time.GetTimestamp();
        _deadline = StartTimestamp + (long)(timeout.TotalSeconds * _time.TimestampFrequency);
        Volatile.Write(ref _state, Waiting);
        _timer.Change(timeout, System.Threading.Timeout.InfiniteTimeSpan);
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (s, ct) => ((PendingRequest)s!).OnCancelled(ct), this);
        }
    }

    public bool TrySetResponse(Response response)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        _core.SetResult(response);
        return true;
    }

    public bool TryFail(Exception error)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) != Waiting)
        {
            return false;
        }

        _owner.RemovePending(this);
        _core.SetException(error);
        return true;
    }

    /// <summary>Called by the requester after it has the result: stops the timer and the registration, resets for reuse.</summary>
    public void Recycle()
    {
        _timer.Change(System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        _cancellation.Dispose();
        _cancellation = default;
        _core.Reset();
        Volatile.Write(ref _state, Idle);
    }

    public Response GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnTimer()
    {
        // A callback from an earlier use of this pooled object may arrive late: only a reached deadline counts.
        if (Volatile.Read(ref _state) != Waiting || _time.GetTimestamp() < _deadline)
        {
            return;
        }

        TryFail(_owner.CreateTimeoutException(this));
    }

    private void OnCancelled(CancellationToken cancellationToken) => TryFail(new OperationCanceledException(
        $"Request {_owner.DescribeCommand(Command)} ({_owner.DescribeKey(Key)}) on {_owner.Name} was cancelled.", cancellationToken));
}
