using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim;

/// <summary>
/// A minimal logger factory that writes one line per message to a <see cref="TextWriter"/> (the command line uses
/// standard error, keeping standard output for the <c>listening …</c> lines).
/// </summary>
public sealed class TextWriterLoggerFactory : ILoggerFactory
{
    private readonly TextWriter _writer;
    private readonly LogLevel _minimum;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    /// <summary>Creates the factory.</summary>
    /// <param name="writer">Where lines go.</param>
    /// <param name="minimum">The lowest level written.</param>
    /// <param name="time">The clock for time stamps (wall clock by default).</param>
    public TextWriterLoggerFactory(TextWriter writer, LogLevel minimum, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _minimum = minimum;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName));

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("TextWriterLoggerFactory writes to its own writer only.");

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static string ShortName(string category)
    {
        int dot = category.LastIndexOf('.');
        return dot < 0 ? category : category[(dot + 1)..];
    }

    private static string Abbreviation(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        string line = $"{_time.GetLocalNow():HH:mm:ss.fff} {Abbreviation(level)} {category}: {message}";
        if (exception is not null)
        {
            line += $"{Environment.NewLine}    {exception.GetType().Name}: {exception.Message}";
        }

        lock (_lock)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    private sealed class Logger(TextWriterLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
