namespace Mcp.Frames.Mcp1.Messages;

/// <summary>One configuration register and its value.</summary>
/// <param name="Register">The register address.</param>
/// <param name="Value">Its value.</param>
public readonly record struct ConfigEntry(ushort Register, int Value);
