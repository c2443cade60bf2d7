namespace Mcp.Frames.Mcp1;

/// <summary>The wire names of MCP/1 status codes, as PROTOCOL.md §2.2 spells them.</summary>
public static class McpStatusNames
{
    private static readonly string[] Names =
    [
        "OK", "UNKNOWN_COMMAND", "BAD_REQUEST", "NO_SUCH_MODULE", "NO_SUCH_REGISTER", "READ_ONLY",
        "BUSY", "VERSION_CONFLICT", "INTERNAL_ERROR", "UNSUPPORTED_VERSION", "TOO_LARGE",
    ];

    /// <summary>The name of a status, such as <c>NO_SUCH_MODULE</c>, or <c>STATUS_0x2A</c> for an unknown code.</summary>
    /// <param name="status">The status byte.</param>
    /// <returns>Its name.</returns>
    public static string Get(byte status) => status < Names.Length ? Names[status] : $"STATUS_0x{status:X2}";

    /// <summary>Whether PROTOCOL.md §2.2 says a request answered with this status may be retried as is.</summary>
    /// <param name="status">The status.</param>
    /// <returns><see langword="true"/> for BUSY.</returns>
    public static bool IsRetryable(McpStatus status) => status == McpStatus.Busy;
}
