namespace Mcp.Frames.Resilience;

/// <summary>Settings of an <see cref="McpSession"/>.</summary>
public sealed class McpSessionOptions
{
    /// <summary>
    /// The reconnecting link's settings. The session runs its HELLO and re-subscribing on every connection, then
    /// <see cref="ReconnectingLinkOptions.OnConnected"/> if set; it does not change these settings, so one instance
    /// may serve several sessions.
    /// </summary>
    public ReconnectingLinkOptions Link { get; set; } = new();

    /// <summary>How long a call waits for the link to come up before it fails; <see langword="null"/> for the request timeout.</summary>
    public TimeSpan? WaitForLink { get; set; }

    /// <summary>
    /// How often to ask the device for its <c>bootId</c> (a HELLO) while a connection stays open; <see langword="null"/>
    /// (the default) never. A device that restarts behind a link that stays open — a serial line, a TCP-to-serial
    /// converter — loses its subscriptions (PROTOCOL.md §2.3) and nothing on the link says so. When the answer shows
    /// another <c>bootId</c>, the session closes that connection; the reconnect then reports the reboot and
    /// subscribes again.
    /// </summary>
    public TimeSpan? BootIdCheckInterval { get; set; }
}
