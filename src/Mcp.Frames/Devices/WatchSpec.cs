using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.Devices;

/// <summary>Registers a gateway keeps a live copy of, through a subscription that survives reconnects.</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="Register">The first register.</param>
/// <param name="Count">How many consecutive registers (default 1).</param>
/// <param name="PeriodMs">The subscription period, at least 10 ms (default 1000).</param>
/// <param name="OnChange">Publish only on change (checked every period) instead of every period.</param>
public sealed record WatchSpec(byte Slot, ushort Register, byte Count = 1, ushort PeriodMs = 1000, bool OnChange = false)
{
    /// <summary>The SUBSCRIBE request for this watch.</summary>
    /// <returns>The request.</returns>
    public SubscribeRequest ToRequest() => new(Slot, Register, Count, PeriodMs, OnChange ? SubscribeMode.OnChange : SubscribeMode.Periodic);
}
