namespace Mcp.Frames.Mcp1.Messages;

/// <summary>A register's access bits as DESCRIBE reports them (PROTOCOL.md §2.3).</summary>
[Flags]
public enum RegisterAccess : byte
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>Bit 0: readable with READ.</summary>
    Read = 1,

    /// <summary>Bit 1: writable with WRITE.</summary>
    Write = 2,

    /// <summary>Bit 2: a persisted configuration register, changed only with CONFIG_SET.</summary>
    Config = 4,
}
