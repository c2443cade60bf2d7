using Microsoft.Extensions.Time.Testing;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>
/// A fake clock that tells a test when code under test has armed a timer (a delay, a gap), so the test advances the
/// clock only once the code is actually waiting: advancing earlier would do nothing and the test would hang or race.
/// </summary>
internal sealed class ArmedClock : FakeTimeProvider
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TimeSpan, int> _armed = [];
    private readonly List<(TimeSpan Due, int Count, TaskCompletionSource Signal)> _waiters = [];

    public ArmedClock()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Completes once timers were armed with exactly <paramref name="due"/> at least <paramref name="count"/> times.</summary>
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
            return signal.Task.Within();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            List<TaskCompletionSource>? ready = null;
            lock (_lock)
            {
                int count = _armed.GetValueOrDefault(dueTime) + 1;
                _armed[dueTime] = count;
                for (int i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].Due == dueTime && _waiters[i].Count <= count)
                    {
                        (ready ??= []).Add(_waiters[i].Signal);
                        _waiters.RemoveAt(i);
                    }
                }
            }

            ready?.ForEach(s => s.TrySetResult());
        }

        return timer;
    }
}
