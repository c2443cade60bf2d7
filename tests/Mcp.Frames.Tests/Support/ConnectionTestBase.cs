using System.Collections.Concurrent;
using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.Profiles;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Support;

/// <summary>
/// The base of connection tests. Each test gets a fake clock, a log collector and a guard against unobserved task
/// exceptions; connections made through the helpers are closed at the end (a close that hangs fails the test).
/// A test fails if an Error/Critical log entry was written that it did not declare with
/// <see cref="TestLoggerFactory.ExpectError"/>, or if a task exception went unobserved.
/// </summary>
public abstract class ConnectionTestBase
{
    /// <summary>The bound on every wait in a test: long enough never to fire on a healthy run.</summary>
    protected static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<Exception> _unobserved = new();
    private readonly List<Func<ValueTask>> _cleanup = [];
    private EventHandler<UnobservedTaskExceptionEventArgs>? _handler;

    protected TestClock Clock { get; private set; } = null!;

    protected TestLoggerFactory Logs { get; private set; } = null!;

    [SetUp]
    public void SetUpGuards()
    {
        // Let garbage from earlier tests report itself before this test starts watching.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Clock = new TestClock();
        Logs = new TestLoggerFactory();
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
                    await _cleanup[i]().AsTask().WaitAsync(Bound);
                }
                catch (TimeoutException)
                {
                    problems.Add("closing a connection (or test peer) did not finish within 10 s");
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
        if (problems.Count > 0)
        {
            foreach (LogEntry entry in Logs.Entries)
            {
                TestContext.Out.WriteLine(entry);
            }

            Assert.Fail(string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>Connection options on the test's clock and log collector.</summary>
    protected FrameConnectionOptions Options(string name, Action<FrameConnectionOptions>? configure = null)
    {
        var options = new FrameConnectionOptions { Name = name, TimeProvider = Clock, LoggerFactory = Logs };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Closes <paramref name="connection"/> at the end of the test (after anything tracked later).</summary>
    protected FrameConnection Track(FrameConnection connection)
    {
        _cleanup.Add(() => connection.CloseAsync());
        return connection;
    }

    protected T TrackAsync<T>(T disposable)
        where T : IAsyncDisposable
    {
        _cleanup.Add(() => disposable.DisposeAsync());
        return disposable;
    }

    /// <summary>A gateway and a device connection over an in-memory link, both started.</summary>
    protected ConnectedPair CreatePair(
        Action<FrameConnectionOptions>? gateway = null,
        Action<FrameConnectionOptions>? device = null,
        IMessageProfile? profile = null,
        PipeOptions? pipeOptions = null,
        bool start = true)
    {
        (TestDuplexPipe a, TestDuplexPipe b) = TestDuplexPipe.CreatePair(pipeOptions);
        FrameConnection gw = Track(new FrameConnection(a, profile, Options("gw", gateway)));
        FrameConnection dev = Track(new FrameConnection(b, profile, Options("dev", device)));
        if (start)
        {
            gw.Start();
            dev.Start();
        }

        return new ConnectedPair(gw, dev, a, b);
    }

    /// <summary>A started gateway connection whose peer is a <see cref="RawPeer"/> driven by the test.</summary>
    protected (FrameConnection Gateway, RawPeer Device, TestDuplexPipe GatewayEnd) CreateWithRawDevice(
        Action<FrameConnectionOptions>? gateway = null,
        IMessageProfile? profile = null,
        PipeOptions? pipeOptions = null)
    {
        (TestDuplexPipe a, TestDuplexPipe b) = TestDuplexPipe.CreatePair(pipeOptions);
        RawPeer peer = TrackAsync(new RawPeer(b));
        FrameConnection gw = Track(new FrameConnection(a, profile, Options("gw", gateway)));
        gw.Start();
        return (gw, peer, a);
    }

    protected sealed record ConnectedPair(FrameConnection Gateway, FrameConnection Device, TestDuplexPipe GatewayEnd, TestDuplexPipe DeviceEnd);
}
