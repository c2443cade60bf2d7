using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Transports;

/// <summary>Log messages of the TCP listener.</summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "{Listener}: listening")]
    public static partial void Listening(ILogger logger, string listener);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "{Listener}: refused a connection: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string listener, string reason, Exception exception);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "{Listener}: accepting failed; the listener stops: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string listener, string reason, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Listener}: cannot accept for now ({Reason}); retrying every {RetryMs} ms until it can")]
    public static partial void AcceptPaused(ILogger logger, string listener, string reason, int retryMs);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "{Listener}: accepting again after {Retries} retries")]
    public static partial void AcceptResumed(ILogger logger, string listener, int retries);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "{Listener}: stopped")]
    public static partial void Stopped(ILogger logger, string listener);
}
