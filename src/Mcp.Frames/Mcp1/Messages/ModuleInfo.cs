namespace Mcp.Frames.Mcp1.Messages;

/// <summary>One module as HELLO lists it.</summary>
/// <param name="Slot">The slot it sits in.</param>
/// <param name="Type">Its type code.</param>
/// <param name="Version">Its module version.</param>
/// <param name="Name">Its name, exactly as the device sent it: show it through <see cref="PeerText.Escape"/>.</param>
public sealed record ModuleInfo(byte Slot, ushort Type, byte Version, string Name);
