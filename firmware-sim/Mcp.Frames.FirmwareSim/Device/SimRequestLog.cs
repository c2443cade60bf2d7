namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>
/// The requests the device received, newest last, for embedding tests and demos: a bounded history, a total count,
/// and a way to await a request that matches a condition. A request is recorded with its answer's status, once that
/// answer has been sent: a client can hold the answer a moment before the record exists, so a test that checks the
/// log after a request awaits the record (<see cref="WaitForAsync"/>) rather than reading <see cref="Snapshot"/> at once.
/// </summary>
public sealed class SimRequestLog
{
    private readonly Lock _lock = new();
    private readonly Queue<SimRequestRecord> _history;
    private readonly List<Waiter> _waiters = [];
    private long _count;

    internal SimRequestLog(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _history = new Queue<SimRequestRecord>(Math.Min(capacity, 1024));
    }

    /// <summary>How many records the history keeps (older ones are dropped).</summary>
    public int Capacity { get; }

    /// <summary>Requests received since the host started (or since <see cref="Clear"/>).</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>A copy of the history, oldest first.</summary>
    /// <returns>The records.</returns>
    public IReadOnlyList<SimRequestRecord> Snapshot()
    {
        lock (_lock)
        {
            return [.. _history];
        }
    }

    /// <summary>Forgets the history and resets <see cref="Count"/>.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _history.Clear();
            Interlocked.Exchange(ref _count, 0);
        }
    }

    /// <summary>Waits for a request that matches, looking first at the history (when <paramref name="includeHistory"/>).</summary>
    /// <param name="match">The condition.</param>
    /// <param name="includeHistory">Whether a request already received counts.</param>
    /// <param name="cancellationToken">Stops waiting (use a timeout).</param>
    /// <returns>The first matching record.</returns>
    public Task<SimRequestRecord> WaitForAsync(Func<SimRequestRecord, bool> match, bool includeHistory = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        var waiter = new Waiter(match);
        lock (_lock)
        {
            if (includeHistory)
            {
                foreach (SimRequestRecord record in _history)
                {
                    if (match(record))
                    {
                        return Task.FromResult(record);
                    }
                }
            }

            _waiters.Add(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            CancellationTokenRegistration registration = cancellationToken.Register(() =>
            {
                lock (_lock)
                {
                    _waiters.Remove(waiter);
                }

                waiter.Completion.TrySetCanceled(cancellationToken);
            });
            _ = waiter.Completion.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return waiter.Completion.Task;
    }

    internal long NextSequence() => Interlocked.Increment(ref _count);

    internal void Add(SimRequestRecord record)
    {
        List<Waiter>? completed = null;
        lock (_lock)
        {
            if (_history.Count == Capacity)
            {
                _history.Dequeue();
            }

            _history.Enqueue(record);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                Waiter waiter = _waiters[i];
                bool matched;
                try
                {
                    matched = waiter.Match(record);
                }
                catch (Exception ex)
                {
                    waiter.Completion.TrySetException(ex); // the caller's condition failed; it sees why
                    _waiters.RemoveAt(i);
                    continue;
                }

                if (matched)
                {
                    (completed ??= []).Add(waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (completed is not null)
        {
            foreach (Waiter waiter in completed)
            {
                waiter.Completion.TrySetResult(record);
            }
        }
    }

    private sealed class Waiter(Func<SimRequestRecord, bool> match)
    {
        public Func<SimRequestRecord, bool> Match { get; } = match;

        public TaskCompletionSource<SimRequestRecord> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
