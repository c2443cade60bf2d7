using Mcp.Frames.Connections;
using Mcp.Frames.Resilience;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>
/// Base of the reconnecting link's fake-clock tests: a fresh clock per test, in-memory devices that are disposed
/// afterwards, and links tracked for disposal, with a jitter source at the top of its range (every wait is its cap).
/// </summary>
public abstract class ReconnectingLinkTest : GuardedTest
{
    protected TestClock Clock { get; private set; } = null!;

    [SetUp]
    public void SetUpClock() => Clock = new TestClock();

    private protected DeviceConnector CreateConnector(int refusals)
    {
        var connector = new DeviceConnector(Clock, refusals);
        Defer(connector.DisposeDevicesAsync);
        return connector;
    }

    private protected ReconnectingLink CreateLink(DeviceConnector connector, BackoffPolicy backoff, bool failFast = false) =>
        Track(new ReconnectingLink(connector, new ReconnectingLinkOptions
        {
            Connection = new FrameConnectionOptions { TimeProvider = Clock, LoggerFactory = Logs },
            Backoff = backoff,
            FailFastWhenDown = failFast,
            Random = new TopOfRange(),
        }));

    /// <summary>A jitter source at the top of its range.</summary>
    private sealed class TopOfRange : Random
    {
        public override double NextDouble() => 1.0;
    }
}
