namespace Mcp.Frames.FirmwareSim.Persistence;

/// <summary>One module's persisted configuration: its version and the values of its configuration registers.</summary>
/// <param name="Version">The version (0 until the first CONFIG_SET).</param>
/// <param name="Values">Register address to value.</param>
public sealed record StoredModuleConfig(uint Version, IReadOnlyDictionary<ushort, int> Values);
