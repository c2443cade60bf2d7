namespace Mcp.Frames.Connections;

/// <summary>
/// Library code (never user code) that sees every message a <see cref="OneWaySubscription"/> accepts, on the read loop,
/// before it is queued, so that it counts what arrived whether or not the queue later drops it.
/// </summary>
internal interface IOneWayArrivals
{
    /// <summary>A message arrived; it must be looked at in place, without blocking or allocating.</summary>
    /// <param name="payload">The message payload, valid only during the call.</param>
    void OnArrived(ReadOnlySpan<byte> payload);
}
