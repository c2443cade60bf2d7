using System.Collections.Concurrent;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Transports;

/// <summary>
/// Base of the transport fixtures: a test fails if a task exception went unobserved while it ran (every I/O loop and
/// abandoned read must have its outcome looked at).
/// </summary>
public abstract class TransportTest
{
    private static readonly ConcurrentQueue<Exception> Unobserved = new();

    static TransportTest() => TaskScheduler.UnobservedTaskException += (_, e) => Unobserved.Enqueue(e.Exception);

    [TearDown]
    public void NoUnobservedTaskExceptions()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var seen = new List<string>();
        while (Unobserved.TryDequeue(out Exception? e))
        {
            seen.Add((e.InnerException ?? e).ToString());
        }

        Assert.That(seen, Is.Empty, "unobserved task exceptions");
    }
}
