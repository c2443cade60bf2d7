using System.Threading.Tasks.Sources;

namespace Mcp.Frames.Connections;

/// <summary>A received request on its way to a handler task; <see cref="Buffer"/> is pooled and owned by whoever holds it.</summary>
internal readonly record struct InboundRequest(byte Command, RequestHandler Handler, byte[] Buffer, int Length, int HeaderLength);

/// <summary>
/// Received requests between the read loop and the handler tasks: a bounded FIFO of requests waiting for a handler,
/// and a stack of handler tasks waiting for a request. The read loop hands a request straight to one idle handler
/// task, or queues it, or (full) refuses it — it never waits. Exactly one handler task is woken per request, its
/// continuation always runs on the thread pool (never on the read loop), and nothing is allocated per request.
/// </summary>
internal sealed class InboundRequestQueue(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Queue<InboundRequest> _queue = new(Math.Min(capacity, 64));
    private readonly Stack<Waiter> _idle = new();
    private bool _completed;

    /// <summary>Gives a request to an idle handler task or queues it; <see langword="false"/> when full or completed.</summary>
    public bool TryWrite(in InboundRequest request)
    {
        Waiter? waiter;
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }

            if (!_idle.TryPop(out waiter))
            {
                if (_queue.Count >= capacity)
                {
                    return false;
                }

                _queue.Enqueue(request);
                return true;
            }
        }

        waiter.Give(request);
        return true;
    }

    /// <summary>Takes a queued request without waiting (for draining at the end).</summary>
    public bool TryRead(out InboundRequest request)
    {
        lock (_lock)
        {
            return _queue.TryDequeue(out request);
        }
    }

    /// <summary>
    /// The next request for the handler task that owns <paramref name="waiter"/>, or <see langword="false"/> once the
    /// queue is completed (requests still queued then are left for <see cref="TryRead"/>).
    /// </summary>
    public ValueTask<bool> ReadAsync(Waiter waiter)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            if (_queue.TryDequeue(out InboundRequest request))
            {
                waiter.Request = request;
                return new ValueTask<bool>(true);
            }

            _idle.Push(waiter);
            return waiter.WaitAsync();
        }
    }

    /// <summary>No more requests: idle handler tasks end; busy ones end when they ask for the next request.</summary>
    public void Complete()
    {
        Waiter[] idle;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            idle = [.. _idle];
            _idle.Clear();
        }

        foreach (Waiter waiter in idle)
        {
            waiter.Stop();
        }
    }

    /// <summary>One handler task's reusable wait for its next request.</summary>
    internal sealed class Waiter : IValueTaskSource<bool>
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        /// <summary>The request handed over (valid after a read returned <see langword="true"/>).</summary>
        public InboundRequest Request { get; set; }

        public ValueTask<bool> WaitAsync() => new(this, _core.Version);

        public void Give(in InboundRequest request)
        {
            Request = request;
            _core.SetResult(true);
        }

        public void Stop() => _core.SetResult(false);

        public bool GetResult(short token)
        {
            bool result = _core.GetResult(token);
            _core.Reset(); // before the handler task can wait again
            return result;
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
