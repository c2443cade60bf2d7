using Mcp.Frames.Connections;
using Mcp.Frames.Resilience;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Tests.Resilience;

/// <summary>Sessions on a fake clock that reconnect at once, for the tests of what a reconnect does.</summary>
internal static class TestSessions
{
    public static McpSession Create(ITransportConnector connector, TimeProvider clock, ILoggerFactory logs) =>
        new(connector, new McpSessionOptions
        {
            Link = new ReconnectingLinkOptions
            {
                Connection = new FrameConnectionOptions { TimeProvider = clock, LoggerFactory = logs },
                Backoff = new BackoffPolicy { Initial = TimeSpan.Zero, Maximum = TimeSpan.Zero },
            },
            WaitForLink = Mcp.Frames.Testing.Bounded.Timeout,
        });
}
