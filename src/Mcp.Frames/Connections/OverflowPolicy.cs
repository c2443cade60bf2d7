namespace Mcp.Frames.Connections;

/// <summary>What a full subscriber queue does with a new message. Waiting is not an option: the read loop never blocks.</summary>
public enum OverflowPolicy
{
    /// <summary>Drop the oldest queued message to make room (the default: a subscriber sees the latest state).</summary>
    DropOldest,

    /// <summary>Drop the new message.</summary>
    DropNewest,
}
