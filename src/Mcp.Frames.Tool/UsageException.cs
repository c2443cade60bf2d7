namespace Mcp.Frames.Tool;

/// <summary>A usage error found after parsing (a flag combination, a REG=VALUE argument): exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
