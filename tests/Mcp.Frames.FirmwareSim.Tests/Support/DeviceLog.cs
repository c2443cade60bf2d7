using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Tests.Support;

/// <summary>
/// The simulator suites keep every warning and error the device logs and fail a test on any of them, listing each
/// as level, category, message and the whole exception.
/// </summary>
internal static class DeviceLog
{
    /// <summary>A collector of the device's warnings and errors.</summary>
    public static LogCollector WarningsAndErrors() => new(LogLevel.Warning);

    /// <summary>The collected entries, one line each, as the failure message lists them.</summary>
    public static IEnumerable<string> Lines(this LogCollector log) =>
        log.Entries.Select(e => $"{e.Level} {e.Category}: {e.Message}{(e.Exception is null ? "" : " — " + e.Exception)}");
}
