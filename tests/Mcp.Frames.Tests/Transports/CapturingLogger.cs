using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Tests.Transports;

/// <summary>One captured log entry.</summary>
internal sealed record LogEntry(LogLevel Level, string Message, Exception? Exception);

/// <summary>Keeps every log entry, for tests that check what a component reported, and lets a test await one.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly List<(Func<LogEntry, bool> Match, TaskCompletionSource<LogEntry> Found)> _waiters = [];

    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var entry = new LogEntry(logLevel, formatter(state, exception), exception);
        lock (_waiters)
        {
            Entries.Enqueue(entry);
            _waiters.RemoveAll(w => w.Match(entry) && w.Found.TrySetResult(entry));
        }
    }

    /// <summary>Completes with the first entry (already logged or still to come) that matches.</summary>
    public Task<LogEntry> WaitForAsync(Func<LogEntry, bool> match)
    {
        lock (_waiters)
        {
            LogEntry? logged = Entries.FirstOrDefault(match);
            if (logged is not null)
            {
                return Task.FromResult(logged);
            }

            var found = new TaskCompletionSource<LogEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
            return found.Task;
        }
    }
}

/// <summary>A logger whose every call throws, as a broken sink behind Microsoft.Extensions.Logging does (it rethrows).</summary>
internal sealed class ThrowingLogger<T> : ILogger<T>
{
    public int Calls => Volatile.Read(ref _calls);

    private int _calls;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Interlocked.Increment(ref _calls);
        throw new AggregateException("An error occurred while writing to logger(s).", new IOException("the log disk is full"));
    }
}
