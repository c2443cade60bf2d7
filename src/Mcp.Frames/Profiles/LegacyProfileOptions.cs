namespace Mcp.Frames.Profiles;

/// <summary>Options of the <see cref="LegacyProfile"/>.</summary>
public sealed class LegacyProfileOptions
{
    /// <summary>
    /// Commands the firmware sends unprompted (never answered). Default: 0x40–0x4F, as in MCP/1.
    /// Checked on the read loop, so it must be fast and must not block.
    /// </summary>
    public Func<byte, bool> IsOneWay { get; set; } = static c => c >= 0x40 && c < 0x50;

    /// <summary>The heartbeat request's command, or <see langword="null"/> (the default) when the firmware has none.</summary>
    public byte? HeartbeatCommand { get; set; }
}
