namespace Mcp.Frames.Tool;

/// <summary>The tool's exit codes (issue 7): scripts branch on them.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The device answered with an error status (its name is printed); for <c>decode</c>, the bytes are not all valid frames.</summary>
    public const int DeviceError = 1;

    /// <summary>A bad flag, argument, hex string or number.</summary>
    public const int Usage = 2;

    /// <summary>No answer in time, or the link could not be opened or went down.</summary>
    public const int LinkFailure = 3;
}
