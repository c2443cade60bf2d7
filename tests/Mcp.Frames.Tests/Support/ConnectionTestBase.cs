using System.IO.Pipelines;
using Mcp.Frames.Connections;
using Mcp.Frames.Profiles;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Support;

/// <summary>
/// The base of connection tests: the guard of <see cref="GuardedTest"/> plus a fake clock per test; connections made
/// through the helpers are tracked, so closed at the end (a close that hangs fails the test).
/// </summary>
public abstract class ConnectionTestBase : GuardedTest
{
    protected TestClock Clock { get; private set; } = null!;

    protected override string CleanupDescription => "closing a connection (or test peer)";

    // Everything collected is printed, and only when the guard finds a problem.
    protected override LogLevel PrintLogFrom => LogLevel.Trace;

    protected override bool PrintLogWhenTestFailed => false;

    [SetUp]
    public void SetUpClock() => Clock = new TestClock();

    /// <summary>Connection options on the test's clock and log collector.</summary>
    protected FrameConnectionOptions Options(string name, Action<FrameConnectionOptions>? configure = null)
    {
        var options = new FrameConnectionOptions { Name = name, TimeProvider = Clock, LoggerFactory = Logs };
        configure?.Invoke(options);
        return options;
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
        RawPeer peer = Track(new RawPeer(b));
        FrameConnection gw = Track(new FrameConnection(a, profile, Options("gw", gateway)));
        gw.Start();
        return (gw, peer, a);
    }

    protected sealed record ConnectedPair(FrameConnection Gateway, FrameConnection Device, TestDuplexPipe GatewayEnd, TestDuplexPipe DeviceEnd);
}
