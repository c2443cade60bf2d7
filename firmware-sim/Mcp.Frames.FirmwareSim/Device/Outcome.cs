using Mcp.Frames.Mcp1;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>How the device answers a request: a status and, when not OK, a short explanation sent after it.</summary>
/// <param name="Status">The status.</param>
/// <param name="Message">The explanation (PROTOCOL.md §2.2 allows a UTF-8 message after a non-OK status).</param>
internal readonly record struct Outcome(McpStatus Status, string? Message = null)
{
    public static Outcome Ok => default;

    public bool IsOk => Status == McpStatus.Ok;

    public static Outcome Fail(McpStatus status, string message) => new(status, message);
}
