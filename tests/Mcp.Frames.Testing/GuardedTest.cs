using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using NUnit.Framework.Interfaces;

namespace Mcp.Frames.Testing;

/// <summary>
/// The base of guarded test fixtures. Each test gets a log collector and a guard against unobserved task exceptions;
/// what a test registers with <see cref="Track{T}"/> or <see cref="Defer"/> is cleaned up at the end, latest first,
/// each step bounded (one that hangs fails the test). A test fails if an Error/Critical log entry was written that it
/// did not declare with <see cref="LogCollector.ExpectError"/>, or if a task exception went unobserved.
/// </summary>
public abstract class GuardedTest
{
    /// <summary>The bound on every wait in a test: long enough never to fire on a healthy run.</summary>
    protected static readonly TimeSpan Bound = Bounded.Timeout;

    private readonly LogLevel _collectFrom;
    private readonly ConcurrentQueue<Exception> _unobserved = new();
    private readonly List<Func<ValueTask>> _cleanup = [];
    private EventHandler<UnobservedTaskExceptionEventArgs>? _handler;

    /// <param name="collectFrom">The lowest level <see cref="Logs"/> collects.</param>
    protected GuardedTest(LogLevel collectFrom = LogLevel.Trace)
    {
        _collectFrom = collectFrom;
    }

    /// <summary>The test's log collector.</summary>
    protected LogCollector Logs { get; private set; } = null!;

    /// <summary>What the cleanup steps do, for the message when one does not finish in time.</summary>
    protected virtual string CleanupDescription => "stopping what the test started";

    /// <summary>The lowest level of the collected entries written to the test output when the test fails.</summary>
    protected virtual LogLevel PrintLogFrom => LogLevel.Information;

    /// <summary>
    /// Whether the collected entries are written to the test output when the test itself failed; when false they are
    /// written only when the guard finds a problem.
    /// </summary>
    protected virtual bool PrintLogWhenTestFailed => true;

    [SetUp]
    public void SetUpGuards()
    {
        // Let garbage from earlier tests report itself before this test starts watching.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Logs = new LogCollector(_collectFrom);
        _unobserved.Clear();
        _handler = OnUnobservedTaskException;
        TaskScheduler.UnobservedTaskException += _handler;
    }

    [TearDown]
    public async Task TearDownGuards()
    {
        IReadOnlyList<string> problems;
        try
        {
            problems = await EndGuardsAsync();
        }
        finally
        {
            Logs.Dispose();
        }

        if (problems.Count > 0 || (PrintLogWhenTestFailed && TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed))
        {
            foreach (LogEntry entry in Logs.Entries.Where(e => e.Level >= PrintLogFrom))
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

    /// <summary>Notes an unobserved task exception; the guard subscribes this to <see cref="TaskScheduler.UnobservedTaskException"/>.</summary>
    protected void OnUnobservedTaskException(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _unobserved.Enqueue(e.Exception);
    }

    /// <summary>
    /// The guard's check: runs the cleanup steps (latest first, each bounded), forces collections so that stray
    /// unobserved task exceptions surface, stops watching, and returns what went wrong (empty when nothing did).
    /// </summary>
    protected async Task<IReadOnlyList<string>> EndGuardsAsync()
    {
        var problems = new List<string>();
        try
        {
            for (int i = _cleanup.Count - 1; i >= 0; i--)
            {
                try
                {
                    await _cleanup[i]().AsTask().WaitAsync(Bound);
                }
                catch (TimeoutException)
                {
                    problems.Add($"{CleanupDescription} did not finish within {Bound.TotalSeconds:0} s");
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
        }

        problems.AddRange(_unobserved.Select(e => "unobserved task exception: " + e));
        problems.AddRange(Logs.UnexpectedErrors().Select(e => "unexpected error log: " + e));
        return problems;
    }
}
