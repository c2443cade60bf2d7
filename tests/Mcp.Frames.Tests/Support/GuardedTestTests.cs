using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Support;

/// <summary>
/// The guard itself: its check reports an unexpected error log and an unobserved task exception, and runs cleanups
/// latest first. The guard under test is a separate instance, so these tests are not guarded by it themselves.
/// </summary>
public sealed class GuardedTestTests
{
    [Test]
    public async Task An_unexpected_error_log_is_reported_and_an_expected_one_is_not()
    {
        var probe = new Probe();
        probe.SetUpGuards();
        ILogger logger = probe.Log.CreateLogger("probe");
        probe.Log.ExpectError(e => e.Message == "expected");

        logger.Log(LogLevel.Error, new EventId(7), "expected", null, (s, _) => s);
        logger.Log(LogLevel.Critical, new EventId(8), "boom", new InvalidOperationException("broken"), (s, _) => s);
        logger.Log(LogLevel.Warning, new EventId(9), "only a warning", null, (s, _) => s);
        IReadOnlyList<string> problems = await probe.CheckAsync();

        Assert.That(problems, Is.EqualTo(new[] { "unexpected error log: Critical probe[8]: boom -- InvalidOperationException: broken" }));
    }

    [Test]
    public async Task An_unobserved_task_exception_is_reported()
    {
        var probe = new Probe();
        probe.SetUpGuards();

        probe.Unobserved(new InvalidOperationException("lost"));
        IReadOnlyList<string> problems = await probe.CheckAsync();

        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith("unobserved task exception: System.AggregateException").And.Contains("lost"));
    }

    [Test]
    public async Task Nothing_is_reported_when_nothing_went_wrong_and_cleanups_run_latest_first()
    {
        var probe = new Probe();
        probe.SetUpGuards();
        var order = new List<string>();
        probe.Cleanup(() => order.Add("first"));
        probe.Cleanup(() => order.Add("second"));

        IReadOnlyList<string> problems = await probe.CheckAsync();

        Assert.That(problems, Is.Empty);
        Assert.That(order, Is.EqualTo(new[] { "second", "first" }));
    }

    [Test]
    public void A_collector_keeps_its_minimum_level_and_above()
    {
        var log = new LogCollector(LogLevel.Warning);
        ILogger logger = log.CreateLogger("c");

        foreach (LogLevel level in Enum.GetValues<LogLevel>())
        {
            logger.Log(level, default, level.ToString(), null, (s, _) => s);
        }

        Assert.That(log.Entries.Select(e => e.Level), Is.EqualTo(new[] { LogLevel.Warning, LogLevel.Error, LogLevel.Critical }));
        Assert.That(logger.IsEnabled(LogLevel.Information), Is.False);
    }

    private sealed class Probe : GuardedTest
    {
        public LogCollector Log => Logs;

        public void Unobserved(Exception exception) =>
            OnUnobservedTaskException(this, new UnobservedTaskExceptionEventArgs(new AggregateException(exception)));

        public void Cleanup(Action step) => Defer(() =>
        {
            step();
            return ValueTask.CompletedTask;
        });

        public Task<IReadOnlyList<string>> CheckAsync() => EndGuardsAsync();
    }
}
