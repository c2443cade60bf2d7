namespace Mcp.Frames.FirmwareSim.Persistence;

/// <summary>The state directory cannot be used: not writable, in use by another simulator, or holding an unreadable configuration.</summary>
public sealed class StateDirectoryException : IOException
{
    /// <summary>Creates the exception.</summary>
    public StateDirectoryException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, naming the directory or file.</param>
    public StateDirectoryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public StateDirectoryException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
