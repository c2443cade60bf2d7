using System.Text;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Mcp.Frames.FirmwareSim.Tests;

/// <summary>The host's log never makes the caller wait: a standard error nobody reads must not stall the links.</summary>
public sealed class TextWriterLoggerTests
{
    [Test]
    public void Logging_while_the_writer_is_stuck_returns_at_once_drops_beyond_the_queue_and_says_how_many()
    {
        var writer = new StuckWriter();
        var factory = new TextWriterLoggerFactory(writer, LogLevel.Information);
        ILogger logger = factory.CreateLogger("Test.Link");
        const int Lines = TextWriterLoggerFactory.QueueCapacity + 5000;

        // Every call returns although the writer blocks on its first line (bounded by the test's own timeout).
        for (int i = 0; i < Lines; i++)
        {
            logger.LogWarning("line {Number}", i);
        }

        long dropped = factory.Dropped;
        writer.Release();
        factory.Dispose();

        string written = writer.ToString();
        Assert.Multiple(() =>
        {
            // The pump holds one line (stuck in the writer), the queue the next QueueCapacity; the rest were dropped.
            Assert.That(dropped, Is.InRange(Lines - TextWriterLoggerFactory.QueueCapacity - 1, Lines - TextWriterLoggerFactory.QueueCapacity));
            Assert.That(written, Does.Contain("warn Link: line 0").And.Contain($"{dropped} log lines dropped"));
            Assert.That(written.Split('\n').Count(l => l.Contains("warn Link: line ", StringComparison.Ordinal)), Is.EqualTo(Lines - dropped));
        });
    }

    /// <summary>A writer whose writes block until released.</summary>
    private sealed class StuckWriter : StringWriter
    {
        private readonly ManualResetEventSlim _released = new();

        public void Release() => _released.Set();

        public override void WriteLine(string? value)
        {
            _released.Wait(TimeSpan.FromSeconds(30));
            lock (this)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (this)
            {
                return base.ToString();
            }
        }

        public override Encoding Encoding => Encoding.UTF8;
    }
}
