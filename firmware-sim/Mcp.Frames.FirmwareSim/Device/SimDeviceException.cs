using Mcp.Frames.Mcp1;

namespace Mcp.Frames.FirmwareSim.Device;

/// <summary>
/// An embedding call on <see cref="SimDevice"/> was refused for the same reason the device would refuse the request on
/// the wire; <see cref="Status"/> is the status it would answer.
/// </summary>
public sealed class SimDeviceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SimDeviceException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was refused and why.</param>
    public SimDeviceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was refused and why.</param>
    /// <param name="innerException">The cause.</param>
    public SimDeviceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a status.</summary>
    /// <param name="status">The status the device would answer.</param>
    /// <param name="message">What was refused and why.</param>
    public SimDeviceException(McpStatus status, string message)
        : base($"{McpStatusName(status)}: {message}") => Status = status;

    /// <summary>The status the device would answer on the wire.</summary>
    public McpStatus Status { get; }

    private static string McpStatusName(McpStatus status) => Mcp1.McpStatusNames.Get((byte)status);
}
