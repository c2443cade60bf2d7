namespace Mcp.Frames.Gateway.Settings;

/// <summary>The <c>Gateway</c> section of appsettings.json.</summary>
public sealed class GatewaySettings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Gateway";

    /// <summary>The devices' links. Empty: an embedded simulated device on loopback (the demo).</summary>
    public List<LinkSettings> Links { get; set; } = [];

    /// <summary>Registers to keep live copies of, on every device.</summary>
    public List<WatchSettings> Watches { get; set; } = [];

    /// <summary>The desired-configuration file (deviceId → slot → register → value), watched for edits; none when empty.</summary>
    public string? DesiredConfiguration { get; set; }

    /// <summary>Heartbeat interval in milliseconds (0 disables the heartbeat).</summary>
    public int HeartbeatIntervalMs { get; set; } = 1000;

    /// <summary>Missed heartbeats before a link is declared dead.</summary>
    public int HeartbeatMissedLimit { get; set; } = 3;

    /// <summary>
    /// How often to check the device's boot id (HELLO) on an open link, in milliseconds (0 disables): a device that
    /// restarts behind a serial line, which stays open, is otherwise not noticed and its watches stay dead.
    /// </summary>
    public int BootIdCheckIntervalMs { get; set; } = 5000;

    /// <summary>Default request timeout in milliseconds.</summary>
    public int RequestTimeoutMs { get; set; } = 1000;

    /// <summary>Nothing received for this many milliseconds marks a device degraded.</summary>
    public int DegradedAfterSilenceMs { get; set; } = 2500;

    /// <summary>Health evaluation period in milliseconds.</summary>
    public int HealthIntervalMs { get; set; } = 250;

    /// <summary>Largest reconnect backoff in milliseconds.</summary>
    public int MaxBackoffMs { get; set; } = 5000;
}
