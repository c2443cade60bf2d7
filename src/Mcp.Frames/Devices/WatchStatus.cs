using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Devices;

/// <summary>Where a watch of a device stands.</summary>
/// <param name="Request">What is subscribed.</param>
/// <param name="State">Whether the device holds the subscription, refused it, or has not been asked on this connection yet.</param>
/// <param name="Refusal">
/// When refused: the device's status and message (as the device sent it: show it through
/// <see cref="Mcp1.PeerText.Escape"/>), for example <c>NO_SUCH_MODULE (0x03): no module in slot 9</c>.
/// </param>
/// <param name="Received">Events received for it, over every connection.</param>
/// <param name="LostEvents">Events lost (sequence gaps and reconnect gaps).</param>
public sealed record WatchStatus(SubscribeRequest Request, WatchState State, string? Refusal, long Received, long LostEvents);

/// <summary>The states of a watch.</summary>
public enum WatchState
{
    /// <summary>
    /// Not subscribed on the connection open now: the link is down, the SUBSCRIBE is under way, or it failed in a way the
    /// log reports (a malformed answer).
    /// </summary>
    Pending,

    /// <summary>The device holds the subscription on the open connection.</summary>
    Subscribed,

    /// <summary>The device refused the SUBSCRIBE on the connection open now (it is asked again on the next one).</summary>
    Refused,
}
