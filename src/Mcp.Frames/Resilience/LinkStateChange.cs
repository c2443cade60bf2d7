namespace Mcp.Frames.Resilience;

/// <summary>A transition of a <see cref="ReconnectingLink"/>.</summary>
/// <param name="Previous">The state before.</param>
/// <param name="Current">The state now.</param>
/// <param name="Attempt">
/// The connection attempt this transition belongs to, counted among the failed attempts in a row (1 for the first try,
/// and for the first try after a loss); a backoff wait belongs to the attempt it comes before.
/// </param>
/// <param name="Reason">Why (the close reason, the connect error, the delay before the next attempt…).</param>
/// <param name="Error">The error behind it, if any.</param>
public sealed record LinkStateChange(LinkState Previous, LinkState Current, int Attempt, string Reason, Exception? Error)
{
    /// <summary>For a backoff wait: how long until attempt <see cref="Attempt"/>.</summary>
    public TimeSpan? Delay { get; init; }
}
