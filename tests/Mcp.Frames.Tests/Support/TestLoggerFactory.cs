using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Tests.Support;

/// <summary>One collected log entry.</summary>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}[{EventId.Id}]: {Message}{(Exception is null ? "" : " -- " + Exception.GetType().Name + ": " + Exception.Message)}";
}

/// <summary>
/// A tiny <see cref="ILoggerFactory"/> that keeps every entry in memory (no logging package needed). The base fixture
/// fails a test on any Error or Critical entry the test did not declare with <see cref="ExpectError"/>.
/// </summary>
public sealed class TestLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<Func<LogEntry, bool>> _expected = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>Declares that Error/Critical entries matching <paramref name="match"/> are part of the test.</summary>
    public void ExpectError(Func<LogEntry, bool> match) => _expected.Enqueue(match);

    public IEnumerable<LogEntry> UnexpectedErrors() =>
        _entries.Where(e => e.Level >= LogLevel.Error && !_expected.Any(m => m(e)));

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
        // Everything is collected here; other providers are not used in tests.
    }

    public void Dispose()
    {
    }

    private sealed class CollectingLogger(TestLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
