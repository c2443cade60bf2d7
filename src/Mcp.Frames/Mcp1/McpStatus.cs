namespace Mcp.Frames.Mcp1;

/// <summary>MCP/1 status codes, the second byte of every response (PROTOCOL.md §2.2).</summary>
public enum McpStatus : byte
{
    /// <summary>Success; the body follows.</summary>
    Ok = 0x00,

    /// <summary>The device does not implement this command.</summary>
    UnknownCommand = 0x01,

    /// <summary>The body is malformed or out of range.</summary>
    BadRequest = 0x02,

    /// <summary>No module in that slot.</summary>
    NoSuchModule = 0x03,

    /// <summary>The register address is not defined.</summary>
    NoSuchRegister = 0x04,

    /// <summary>A write to a read-only (or configuration) register.</summary>
    ReadOnly = 0x05,

    /// <summary>Try again later.</summary>
    Busy = 0x06,

    /// <summary>CONFIG_SET's expected version is stale.</summary>
    VersionConflict = 0x07,

    /// <summary>A device-side failure.</summary>
    InternalError = 0x08,

    /// <summary>The protocol version is not supported.</summary>
    UnsupportedVersion = 0x09,

    /// <summary>The answer would not fit the negotiated payload size.</summary>
    TooLarge = 0x0A,
}
