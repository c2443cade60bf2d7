using Mcp.Frames.Mcp1;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>Log messages of device sessions.</summary>
internal static partial class SessionLog
{
    [LoggerMessage(100, LogLevel.Debug, "{Link}: {Command} seq {Seq} answered {Status}")]
    public static partial void Answered(ILogger logger, string link, string command, byte seq, McpStatus status);

    [LoggerMessage(101, LogLevel.Error, "{Link}: the EVENT sender failed")]
    public static partial void EventLoopFailed(ILogger logger, string link, Exception error);

    [LoggerMessage(103, LogLevel.Error, "{Link}: {Command} failed inside the device; answered INTERNAL_ERROR")]
    public static partial void ModuleFailed(ILogger logger, string link, string command, Exception error);

    [LoggerMessage(102, LogLevel.Information, "{Link}: RESET requested; rebooting")]
    public static partial void ResetRequested(ILogger logger, string link);
}
