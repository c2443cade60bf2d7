namespace Mcp.Frames.Devices;

/// <summary>The latest value of a watched register.</summary>
/// <param name="Slot">The module's slot.</param>
/// <param name="Register">The register.</param>
/// <param name="Value">Its latest value.</param>
/// <param name="UptimeMs">The device uptime of the event that carried it; 0 for a value from the initial READ of a connection.</param>
/// <param name="ReceivedAt">When the gateway received it.</param>
public sealed record WatchedValue(byte Slot, ushort Register, int Value, uint UptimeMs, DateTimeOffset ReceivedAt);
