using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Tests.Devices;

/// <summary>Collects formatted log lines.</summary>
internal sealed class ListLogger<T>(ConcurrentQueue<string> lines) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
}
