using Mcp.Frames.Mcp1.Messages;

namespace Mcp.Frames.FirmwareSim.Modules;

/// <summary>One register of a simulated module, as DESCRIBE lists it.</summary>
/// <param name="Address">The register address.</param>
/// <param name="Name">Its name (at most 255 UTF-8 bytes).</param>
/// <param name="Access">Its access bits (PROTOCOL.md §2.3): read, write, configuration.</param>
public sealed record SimRegister(ushort Address, string Name, RegisterAccess Access)
{
    /// <summary>Whether READ and SUBSCRIBE may read it.</summary>
    public bool IsReadable => (Access & RegisterAccess.Read) != 0;

    /// <summary>Whether WRITE may change it (never for configuration registers).</summary>
    public bool IsWritable => (Access & RegisterAccess.Write) != 0 && !IsConfig;

    /// <summary>Whether it is a persisted configuration register, changed only with CONFIG_SET.</summary>
    public bool IsConfig => (Access & RegisterAccess.Config) != 0;

    /// <summary>The register as the MCP/1 DESCRIBE codec wants it.</summary>
    /// <returns>The entry.</returns>
    public RegisterInfo ToRegisterInfo() => new(Address, Access, Name);
}
