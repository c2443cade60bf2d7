using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Serial;

/// <summary>Log messages of the serial transport.</summary>
internal static partial class SerialLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "{Port}: opened at {BaudRate} baud through {Backend}, stall timeout {StallTimeoutMs} ms")]
    public static partial void Opened(ILogger logger, string port, int baudRate, SerialBackend backend, double stallTimeoutMs);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "{Port}: could not set {Line} (pseudo-terminals and some adapters have no modem lines); continuing without it: {Reason}")]
    public static partial void ControlLineFailed(ILogger logger, string port, string line, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Port}: {What} did not finish within the dispose deadline; left to finish in the background")]
    public static partial void CloseDeadlineMissed(ILogger logger, string port, string what);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "{Port}: a pseudo-terminal keeps 8 data bits and no parity whatever is asked; {Asked} applies to real serial lines only")]
    public static partial void PseudoTerminalLineSettings(ILogger logger, string port, string asked);
}
