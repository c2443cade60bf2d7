namespace Mcp.Frames.Mcp1.Messages;

/// <summary>When a subscription publishes (PROTOCOL.md §2.3, SUBSCRIBE).</summary>
public enum SubscribeMode : byte
{
    /// <summary>Every period.</summary>
    Periodic = 0,

    /// <summary>Checked every period, published only when a value changed.</summary>
    OnChange = 1,
}
