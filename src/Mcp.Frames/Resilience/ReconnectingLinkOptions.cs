using Mcp.Frames.Connections;
using Mcp.Frames.Profiles;

namespace Mcp.Frames.Resilience;

/// <summary>Settings of a <see cref="ReconnectingLink"/>.</summary>
public sealed class ReconnectingLinkOptions
{
    /// <summary>Settings of each connection the link opens (its TimeProvider is the link's clock too).</summary>
    public FrameConnectionOptions Connection { get; set; } = new();

    /// <summary>The message profile; <see langword="null"/> for MCP/1.</summary>
    public IMessageProfile? Profile { get; set; }

    /// <summary>The backoff between attempts.</summary>
    public BackoffPolicy Backoff { get; set; } = new();

    /// <summary>
    /// Runs on every new connection before it counts as connected (for MCP/1: HELLO, then re-subscribing). A failure
    /// closes that connection and counts as a failed attempt.
    /// </summary>
    public Func<FrameConnection, CancellationToken, Task>? OnConnected { get; set; }

    /// <summary>
    /// When the link is down, whether callers of <see cref="ReconnectingLink.GetConnectionAsync"/> fail at once
    /// (<see langword="true"/>) or wait for the link until their deadline (<see langword="false"/>, the default).
    /// </summary>
    public bool FailFastWhenDown { get; set; }

    /// <summary>The jitter source; seed it for reproducible tests. Defaults to a shared random.</summary>
    public Random? Random { get; set; }

    /// <summary>How many state changes <see cref="ReconnectingLink.WatchAsync"/> buffers per watcher (default 64; oldest dropped).</summary>
    public int StateHistoryCapacity { get; set; } = 64;

    /// <summary>A copy of these settings with another <see cref="OnConnected"/> hook.</summary>
    internal ReconnectingLinkOptions WithOnConnected(Func<FrameConnection, CancellationToken, Task> hook)
    {
        var copy = (ReconnectingLinkOptions)MemberwiseClone();
        copy.OnConnected = hook;
        return copy;
    }

    /// <summary>Checks the settings and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Connection, nameof(Connection));
        ArgumentNullException.ThrowIfNull(Backoff, nameof(Backoff));
        Connection.Validate();
        Backoff.Validate();
        if (StateHistoryCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(StateHistoryCapacity), StateHistoryCapacity, "StateHistoryCapacity must be at least 1.");
        }
    }
}
