namespace Mcp.Frames.Connections;

/// <summary>What a <see cref="OneWaySubscription"/> receives and how its queue behaves.</summary>
public sealed class OneWaySubscriptionOptions
{
    /// <summary>The command to receive (for MCP/1: 0x40, EVENT).</summary>
    public byte Command { get; set; }

    /// <summary>
    /// When set, only messages whose first payload byte equals this value (for MCP/1 EVENTs: the <c>subId</c>).
    /// The filter runs on the read loop as a byte compare; no user code runs there.
    /// </summary>
    public byte? FirstByte { get; set; }

    /// <summary>How many messages may wait for the subscriber (default 256).</summary>
    public int Capacity { get; set; } = 256;

    /// <summary>What a full queue does with a new message (default: drop the oldest).</summary>
    public OverflowPolicy Overflow { get; set; } = OverflowPolicy.DropOldest;

    /// <summary>Checks the options and throws an exception naming the bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity is not positive or the policy is unknown.</exception>
    public void Validate()
    {
        if (Capacity < 1 || Capacity > 1 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"Capacity must be between 1 and {1 << 20}; {Capacity} was given.");
        }

        if (!Enum.IsDefined(Overflow))
        {
            throw new ArgumentOutOfRangeException(nameof(Overflow), Overflow, "Unknown overflow policy.");
        }
    }
}
