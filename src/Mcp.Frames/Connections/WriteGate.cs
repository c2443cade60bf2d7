using System.Threading.Tasks.Sources;

namespace Mcp.Frames.Connections;

/// <summary>
/// One writer at a time on the connection's <c>PipeWriter</c>. Writers that find it held wait in FIFO order; the one
/// leaving hands it straight to the next. A wait ends early when one of up to two tokens is cancelled.
/// </summary>
/// <remarks>
/// Unlike <see cref="SemaphoreSlim.WaitAsync(CancellationToken)"/>, a contended wait allocates nothing in steady state:
/// waiters are pooled <see cref="IValueTaskSource"/> objects, and the two tokens are registered on the waiter instead
/// of being linked into a new source. Continuations always run asynchronously.
/// </remarks>
internal sealed class WriteGate
{
    private readonly Lock _lock = new();
    private readonly Stack<Waiter> _free = new();
    private Waiter? _head;
    private Waiter? _tail;
    private bool _held;

    /// <summary>Takes the gate if it is free.</summary>
    public bool TryEnter()
    {
        lock (_lock)
        {
            if (_held)
            {
                return false;
            }

            _held = true;
            return true;
        }
    }

    /// <summary>Waits for the gate; on completion the caller holds it.</summary>
    /// <exception cref="OperationCanceledException">A token was cancelled before the gate was handed over.</exception>
    public ValueTask EnterAsync(CancellationToken first, CancellationToken second = default)
    {
        lock (_lock)
        {
            if (!_held)
            {
                _held = true;
                return default;
            }

            first.ThrowIfCancellationRequested();
            second.ThrowIfCancellationRequested();
            Waiter waiter = _free.TryPop(out Waiter? free) ? free : new Waiter(this);
            waiter.Linked = true;
            waiter.Previous = _tail;
            waiter.Next = null;
            if (_tail is null)
            {
                _head = waiter;
            }
            else
            {
                _tail.Next = waiter;
            }

            _tail = waiter;
            ValueTask wait = waiter.Task;

            // Registered under the lock, so the gate cannot be handed over (and the waiter recycled) before the
            // registrations exist. A token cancelled right now runs its callback here; the lock is re-entrant.
            waiter.Register(first, second);
            return wait;
        }
    }

    /// <summary>Leaves the gate, handing it to the first waiter if there is one.</summary>
    public void Exit()
    {
        Waiter? next;
        lock (_lock)
        {
            next = _head;
            if (next is null)
            {
                _held = false;
                return;
            }

            Unlink(next); // the gate stays held: it now belongs to next
        }

        next.Complete(null);
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_lock)
        {
            if (!waiter.Linked)
            {
                return; // already handed the gate (it checks its tokens itself) or already cancelled
            }

            Unlink(waiter);
        }

        waiter.Complete(new OperationCanceledException(token));
    }

    private void Unlink(Waiter waiter)
    {
        if (waiter.Previous is null)
        {
            _head = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _tail = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Previous = null;
        waiter.Next = null;
        waiter.Linked = false;
    }

    private void Recycle(Waiter waiter)
    {
        lock (_lock)
        {
            if (_free.Count < 256)
            {
                _free.Push(waiter);
            }
        }
    }

    private sealed class Waiter(WriteGate gate) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
        private CancellationTokenRegistration _first;
        private CancellationTokenRegistration _second;

        public Waiter? Previous { get; set; }

        public Waiter? Next { get; set; }

        public bool Linked { get; set; }

        public ValueTask Task => new(this, _core.Version);

        public void Register(CancellationToken first, CancellationToken second)
        {
            if (first.CanBeCanceled)
            {
                _first = first.UnsafeRegister(static (s, t) => ((Waiter)s!).OnCancelled(t), this);
            }

            if (second.CanBeCanceled && second != first)
            {
                _second = second.UnsafeRegister(static (s, t) => ((Waiter)s!).OnCancelled(t), this);
            }
        }

        public void Complete(Exception? error)
        {
            if (error is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(error);
            }
        }

        public void GetResult(short token)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                // Dispose waits for a cancellation callback that is running (it finds the waiter unlinked and returns).
                _first.Dispose();
                _second.Dispose();
                _first = default;
                _second = default;
                _core.Reset();
                gate.Recycle(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        private void OnCancelled(CancellationToken token) => gate.Cancel(this, token);
    }
}
