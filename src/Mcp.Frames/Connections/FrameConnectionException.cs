namespace Mcp.Frames.Connections;

/// <summary>The base of every error a <see cref="FrameConnection"/> reports. Its message names the link.</summary>
public class FrameConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FrameConnectionException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FrameConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FrameConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The name of the link the error happened on, when known.</summary>
    public string? LinkName { get; init; }
}
