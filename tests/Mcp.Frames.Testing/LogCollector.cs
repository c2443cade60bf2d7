using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Testing;

/// <summary>One collected log entry.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}[{EventId.Id}]: {Message}{(Exception is null ? "" : " -- " + Exception.GetType().Name + ": " + Exception.Message)}";
}

/// <summary>
/// Keeps every log entry at or above a minimum level in memory, as a logger factory (for the library pieces and the
/// simulator) and as a provider (for a web application). A test can await an entry; <see cref="GuardedTest"/> fails a
/// test on any Error or Critical entry the test did not declare with <see cref="ExpectError"/>.
/// </summary>
public sealed class LogCollector : ILoggerFactory, ILoggerProvider
{
    private readonly LogLevel _minimumLevel;
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<Func<LogEntry, bool>> _expected = new();
    private readonly Lock _lock = new();
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Done)> _waiters = [];

    /// <summary>Collects entries at <paramref name="minimumLevel"/> and above.</summary>
    public LogCollector(LogLevel minimumLevel = LogLevel.Trace)
    {
        _minimumLevel = minimumLevel;
    }

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>Declares that Error/Critical entries matching <paramref name="match"/> are part of the test.</summary>
    public void ExpectError(Func<LogEntry, bool> match) => _expected.Enqueue(match);

    public IEnumerable<LogEntry> UnexpectedErrors() =>
        _entries.Where(e => e.Level >= LogLevel.Error && !_expected.Any(m => m(e)));

    /// <summary>
    /// Waits for an entry written from now on that matches; fails with a <see cref="TimeoutException"/> if none is
    /// written within 10 s.
    /// </summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        var done = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add((match, done));
        }

        return done.Task.WaitAsync(Bounded.Timeout);
    }

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
        // Everything is collected here; other providers are not used in tests.
    }

    public void Dispose()
    {
    }

    private bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= _minimumLevel;

    private void Add(LogEntry entry)
    {
        _entries.Enqueue(entry);
        List<TaskCompletionSource<LogEntry>>? matched = null;
        lock (_lock)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(entry))
                {
                    (matched ??= []).Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        matched?.ForEach(m => m.TrySetResult(entry));
    }

    private sealed class CollectingLogger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => owner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner.IsEnabled(logLevel))
            {
                owner.Add(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }
}
