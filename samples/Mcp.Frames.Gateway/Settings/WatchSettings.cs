namespace Mcp.Frames.Gateway.Settings;

/// <summary>Registers to watch on every device.</summary>
public sealed class WatchSettings
{
    /// <summary>The module's slot.</summary>
    public int Slot { get; set; }

    /// <summary>The first register.</summary>
    public int Register { get; set; }

    /// <summary>How many registers.</summary>
    public int Count { get; set; } = 1;

    /// <summary>The subscription period in milliseconds (at least 10).</summary>
    public int PeriodMs { get; set; } = 1000;

    /// <summary>Publish only on change.</summary>
    public bool OnChange { get; set; }
}
