namespace Mcp.Frames.Serial;

/// <summary>A serial port found by <see cref="SerialPorts.List()"/>.</summary>
public sealed class SerialPortInfo
{
    /// <summary>Creates an entry.</summary>
    /// <param name="portName">The device name (for example <c>/dev/ttyUSB0</c> or <c>COM3</c>).</param>
    /// <param name="stableName">A name that survives re-plugging, or <see langword="null"/>.</param>
    public SerialPortInfo(string portName, string? stableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(portName);
        PortName = portName;
        StableName = stableName;
    }

    /// <summary>
    /// The device name (the resolved target of <see cref="StableName"/> when there is one). It can change when a USB
    /// adapter is re-plugged.
    /// </summary>
    public string PortName { get; }

    /// <summary>
    /// The <c>/dev/serial/by-id/…</c> link of the device (adapter vendor, model and serial number), which stays the same
    /// across re-plugging and reboots: prefer it in configuration. <see langword="null"/> when the device has none
    /// (on-board UARTs, Windows).
    /// </summary>
    public string? StableName { get; }

    /// <summary>The name to configure: <see cref="StableName"/> if there is one, else <see cref="PortName"/>.</summary>
    public string PreferredName => StableName ?? PortName;

    /// <inheritdoc />
    public override string ToString() => StableName is null ? PortName : $"{PortName} ({StableName})";
}
