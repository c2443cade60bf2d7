namespace Mcp.Frames.Mcp1.Messages;

/// <summary>One register as DESCRIBE lists it.</summary>
/// <param name="Address">The register address.</param>
/// <param name="Access">Its access bits.</param>
/// <param name="Name">Its name, exactly as the device sent it: show it through <see cref="PeerText.Escape"/>.</param>
public sealed record RegisterInfo(ushort Address, RegisterAccess Access, string Name);
