namespace Mcp.Frames.Resilience;

/// <summary>Settings of an <see cref="McpSession"/>.</summary>
public sealed class McpSessionOptions
{
    /// <summary>The reconnecting link's settings (its <see cref="ReconnectingLinkOptions.OnConnected"/> is set by the session).</summary>
    public ReconnectingLinkOptions Link { get; set; } = new();

    /// <summary>How long a call waits for the link to come up before it fails; <see langword="null"/> for the request timeout.</summary>
    public TimeSpan? WaitForLink { get; set; }
}
