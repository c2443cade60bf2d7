namespace Mcp.Frames.Resilience;

/// <summary>The states of a <see cref="ReconnectingLink"/>.</summary>
public enum LinkState
{
    /// <summary>Not started.</summary>
    Disconnected,

    /// <summary>The first connection attempt is under way.</summary>
    Connecting,

    /// <summary>
    /// A connection is open and its session-open hook succeeded. The hook runs on the open connection before this
    /// state is reported, so what it starts (an <see cref="McpSession"/>'s subscriptions) can deliver a moment earlier.
    /// </summary>
    Connected,

    /// <summary>The connection was lost or an attempt failed; waiting out the backoff or trying again.</summary>
    Reconnecting,

    /// <summary>Stopped by the owner.</summary>
    Stopped,

    /// <summary>Gave up: the attempt limit was reached.</summary>
    Faulted,
}
