using Microsoft.Extensions.Time.Testing;

namespace Mcp.Frames.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells a test when a timer is armed, so that a test can wait until the
/// code under test has actually started a timeout (or backoff, or stall timer) before it advances the clock. Advancing
/// before the timer exists would silently do nothing, and the test would then hang or race.
/// </summary>
/// <remarks>
/// Every arming with a finite due time is counted by due time. Timers fire synchronously inside
/// <see cref="FakeTimeProvider.Advance"/>; continuations of the code they complete run asynchronously, so after an
/// advance a test awaits the task it expects to complete.
/// </remarks>
public sealed class TestClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TimeSpan, int> _armed = [];
    private readonly List<(TimeSpan Due, int Count, TaskCompletionSource Signal)> _waiters = [];

    public TestClock()
        : base(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>How many times a timer was armed with exactly <paramref name="due"/>.</summary>
    public int ArmedCount(TimeSpan due)
    {
        lock (_lock)
        {
            return _armed.GetValueOrDefault(due);
        }
    }

    /// <summary>
    /// Completes once timers were armed with exactly <paramref name="due"/> at least <paramref name="count"/> times in
    /// total; fails with a <see cref="TimeoutException"/> if that has not happened within 10 s.
    /// </summary>
    public Task WaitForArmedAsync(TimeSpan due, int count = 1)
    {
        lock (_lock)
        {
            if (_armed.GetValueOrDefault(due) >= count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((due, count, signal));
            return signal.Task.WaitAsync(Bounded.Timeout);
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer inner = base.CreateTimer(callback, state, dueTime, period);
        OnArmed(dueTime);
        return new ObservedTimer(this, inner);
    }

    private void OnArmed(TimeSpan due)
    {
        if (due == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        List<TaskCompletionSource>? ready = null;
        lock (_lock)
        {
            int count = _armed.GetValueOrDefault(due) + 1;
            _armed[due] = count;
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Due == due && _waiters[i].Count <= count)
                {
                    (ready ??= []).Add(_waiters[i].Signal);
                    _waiters.RemoveAt(i);
                }
            }
        }

        ready?.ForEach(s => s.TrySetResult());
    }

    private sealed class ObservedTimer(TestClock clock, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            bool changed = inner.Change(dueTime, period);
            clock.OnArmed(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
