using Mcp.Frames.Connections;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Hosting;

/// <summary>Log messages of the host.</summary>
internal static partial class HostLog
{
    [LoggerMessage(200, LogLevel.Information, "{Line}")]
    public static partial void Listening(ILogger logger, string line);

    [LoggerMessage(201, LogLevel.Information, "Link {Link} opened (link number {Number})")]
    public static partial void LinkOpened(ILogger logger, string link, int number);

    [LoggerMessage(202, LogLevel.Information, "Link {Link} closed ({Reason}): {Message}")]
    public static partial void LinkClosed(ILogger logger, string link, ConnectionCloseReason reason, string message);

    [LoggerMessage(203, LogLevel.Error, "{Listener} stopped accepting connections")]
    public static partial void AcceptFailed(ILogger logger, string listener, Exception error);

    [LoggerMessage(204, LogLevel.Warning, "{Link} could not be reopened, retrying: {Reason}")]
    public static partial void ReopenFailed(ILogger logger, string link, string reason);

    [LoggerMessage(206, LogLevel.Warning, "{Link} closed at once: {Max} TCP links are served already ({Refused} refused so far; logged at the first and every 1000th)")]
    public static partial void LinkRefused(ILogger logger, string link, int max, long refused);

    [LoggerMessage(205, LogLevel.Error, "A background task of the host failed")]
    public static partial void BackgroundFailed(ILogger logger, Exception error);
}
