using System.Collections.Concurrent;
using NUnit.Framework;

namespace Mcp.Frames.Gateway.Tests.Support;

/// <summary>
/// The base of the gateway tests: a log collector, a guard against unobserved task exceptions, and cleanup of what a
/// test started (each bounded). A test fails if an Error/Critical entry was logged that it did not declare with
/// <see cref="LogCollector.ExpectError"/>, or if a task exception went unobserved.
/// </summary>
public abstract class GatewayTestBase
{
    private readonly ConcurrentQueue<Exception> _unobserved = new();
    private readonly List<Func<ValueTask>> _cleanup = [];
    private EventHandler<UnobservedTaskExceptionEventArgs>? _handler;

    protected LogCollector Logs { get; private set; } = null!;

    [SetUp]
    public void SetUpGuards()
    {
        // Let garbage from earlier tests report itself before this test starts watching.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Logs = new LogCollector();
        _unobserved.Clear();
        _handler = (_, e) => _unobserved.Enqueue(e.Exception);
        TaskScheduler.UnobservedTaskException += _handler;
    }

    [TearDown]
    public async Task TearDownGuards()
    {
        var problems = new List<string>();
        try
        {
            for (int i = _cleanup.Count - 1; i >= 0; i--)
            {
                try
                {
                    await _cleanup[i]().AsTask().WaitAsync(Bounded.Timeout);
                }
                catch (TimeoutException)
                {
                    problems.Add($"stopping what the test started did not finish within {Bounded.Timeout.TotalSeconds:0} s");
                }
            }

            _cleanup.Clear();
            for (int i = 0; i < 2; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= _handler;
            Logs.Dispose();
        }

        problems.AddRange(_unobserved.Select(e => "unobserved task exception: " + e));
        problems.AddRange(Logs.UnexpectedErrors().Select(e => "unexpected error log: " + e));
        if (problems.Count > 0 || TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            foreach (LogEntry entry in Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Information))
            {
                TestContext.Out.WriteLine(entry);
            }
        }

        if (problems.Count > 0)
        {
            Assert.Fail(string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>Disposes <paramref name="disposable"/> at the end of the test (before anything tracked earlier).</summary>
    protected T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _cleanup.Add(() => disposable.DisposeAsync());
        return disposable;
    }

    /// <summary>Runs <paramref name="cleanup"/> at the end of the test (before anything tracked earlier).</summary>
    protected void Defer(Func<ValueTask> cleanup) => _cleanup.Add(cleanup);
}
