using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim;

/// <summary>
/// A minimal logger factory that writes one line per message to a <see cref="TextWriter"/> (the command line uses
/// standard error, keeping standard output for the <c>listening …</c> lines).
/// </summary>
/// <remarks>
/// Lines go through a bounded queue to a writer task: a log call never waits for the writer, so a standard error
/// that nobody reads (a full pipe) cannot stall the links that log. When the queue is full, lines are dropped and
/// counted, and the count is written before the next line that gets through. <see cref="Dispose"/> writes what is
/// queued (waiting at most two seconds).
/// </remarks>
public sealed class TextWriterLoggerFactory : ILoggerFactory
{
    /// <summary>Lines waiting for the writer.</summary>
    public const int QueueCapacity = 10_000;

    private readonly TextWriter _writer;
    private readonly LogLevel _minimum;
    private readonly TimeProvider _time;
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false when full, so the line is counted as dropped
    });

    private readonly Task _pump;
    private long _dropped;

    /// <summary>Creates the factory.</summary>
    /// <param name="writer">Where lines go; used through <see cref="TextWriter.Synchronized"/> (pass the same synchronized writer to anything else that writes to it).</param>
    /// <param name="minimum">The lowest level written.</param>
    /// <param name="time">The clock for time stamps (wall clock by default).</param>
    public TextWriterLoggerFactory(TextWriter writer, LogLevel minimum, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = TextWriter.Synchronized(writer); // others may write to it too (the command line's own messages)
        _minimum = minimum;
        _time = time ?? TimeProvider.System;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Lines dropped so far because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, ShortName(categoryName));

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("TextWriterLoggerFactory writes to its own writer only.");

    /// <inheritdoc />
    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _pump.Wait(TimeSpan.FromSeconds(2));
    }

    private async Task PumpAsync()
    {
        ChannelReader<string> reader = _lines.Reader;
        long reported = 0;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out string? line))
                {
                    long dropped = Interlocked.Read(ref _dropped);
                    if (dropped > reported)
                    {
                        await _writer.WriteLineAsync($"{_time.GetLocalNow():HH:mm:ss.fff} warn TextWriterLoggerFactory: {dropped - reported} log lines dropped (the log was not read fast enough)").ConfigureAwait(false);
                        reported = dropped;
                    }

                    await _writer.WriteLineAsync(line).ConfigureAwait(false);
                }

                await _writer.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // The writer failed (standard error closed, or a writer that refuses): logging must never take the host
            // down, so the rest of the queue is dropped with it.
        }
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

        if (!_lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
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
