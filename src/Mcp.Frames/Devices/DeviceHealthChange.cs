namespace Mcp.Frames.Devices;

/// <summary>A device's health changed.</summary>
/// <param name="Device">The device.</param>
/// <param name="Previous">The health before.</param>
/// <param name="Current">The health now.</param>
/// <param name="Reason">Why, with the numbers.</param>
public sealed record DeviceHealthChange(DeviceEntry Device, DeviceHealth Previous, DeviceHealth Current, string Reason);
