using Mcp.Frames.Connections;
using Mcp.Frames.Resilience;
using Mcp.Frames.Testing;
using Mcp.Frames.Transports;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>The reconnect loop survives what its users and its connector do wrong.</summary>
public class ReconnectingLinkRobustnessTests : GuardedTest
{
    [Test]
    public async Task Stop_during_a_connect_that_then_fails_stops_the_link_cleanly()
    {
        var clock = new TestClock();
        var connector = new GatedConnector();
        var link = new ReconnectingLink(connector, new ReconnectingLinkOptions
        {
            Connection = new FrameConnectionOptions { TimeProvider = clock, LoggerFactory = Logs },
        });
        link.Start();
        await connector.Called.Task.Within();

        // Stop while the connect is in flight; the connect then fails on its own (a refused socket, a port that cannot
        // be opened) instead of observing the token.
        Assert.That(link.State, Is.EqualTo(LinkState.Connecting));
        Task stop = link.StopAsync().AsTask();
        connector.Result.TrySetException(new TransportException("gated: connection refused"));

        Assert.DoesNotThrowAsync(async () => await stop.Within(), "StopAsync/DisposeAsync must not throw the connect error");
        Assert.That(link.State, Is.EqualTo(LinkState.Stopped));
    }

    [Test]
    public async Task A_state_handler_that_throws_once_does_not_end_reconnecting_for_good()
    {
        var clock = new TestClock();
        var connector = new DeviceConnector(clock);
        Defer(connector.DisposeDevicesAsync);
        var link = new ReconnectingLink(connector, new ReconnectingLinkOptions
        {
            Connection = new FrameConnectionOptions { TimeProvider = clock, LoggerFactory = Logs },
            Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero },
        });
        Defer(link.StopAsync);
        Logs.ExpectError(e => e.EventId.Id == 101 && e.Exception is InvalidOperationException { Message: "a subscriber's bug" });
        int thrown = 0;
        link.StateChanged += (_, c) =>
        {
            if (c.Current == LinkState.Connected && Interlocked.Exchange(ref thrown, 1) == 0)
            {
                throw new InvalidOperationException("a subscriber's bug");
            }
        };
        var log = new LinkStateLog(link);
        link.Start();
        await log.NextAsync(LinkState.Connected);

        ((InMemoryTransport)connector.LastDevice.Transport).Break();

        // The link comes back on a new connection: the handler's exception is logged, and the loop goes on.
        await log.NextAsync(LinkState.Connected);
        Assert.That(connector.Attempts, Is.EqualTo(2));
    }

    /// <summary>A connector whose single connect completes when the test says so.</summary>
    private sealed class GatedConnector : ITransportConnector
    {
        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<ITransport> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "gated";

        public async ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default)
        {
            Called.TrySetResult();
            return await Result.Task;
        }
    }
}
