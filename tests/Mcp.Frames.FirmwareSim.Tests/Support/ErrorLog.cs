using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>A logger factory that keeps every warning and error, so a test can fail on one it did not expect.</summary>
internal sealed class ErrorLog : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(ErrorLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " — " + exception)}");
            }
        }
    }
}
