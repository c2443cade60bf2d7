using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim;

/// <summary>The simulator's log messages.</summary>
internal static partial class SimLog
{
    [LoggerMessage(1, LogLevel.Information, "Device {DeviceId} booted, boot id 0x{BootId:X8}")]
    public static partial void Booted(ILogger logger, string deviceId, uint bootId);

    [LoggerMessage(2, LogLevel.Warning, "Stored configuration for slot {Slot} ignored: {Reason}")]
    public static partial void StoredConfigIgnored(ILogger logger, byte slot, string reason);

    [LoggerMessage(3, LogLevel.Error, "Configuration of slot {Slot} could not be stored")]
    public static partial void ConfigStoreFailed(ILogger logger, byte slot, Exception error);

    [LoggerMessage(4, LogLevel.Information, "Configuration of slot {Slot} is now version {Version} ({Count} registers changed)")]
    public static partial void ConfigChanged(ILogger logger, byte slot, uint version, int count);

    [LoggerMessage(5, LogLevel.Warning, "Discarded {Path}: a configuration save was interrupted before it completed; the previous configuration stays")]
    public static partial void DiscardedTempFile(ILogger logger, string path);

    [LoggerMessage(6, LogLevel.Debug, "Configuration stored in {Path} ({Bytes} bytes)")]
    public static partial void ConfigStored(ILogger logger, string path, int bytes);
}
