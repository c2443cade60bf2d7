namespace Mcp.Frames.Connections;

/// <summary>The connection ended (or was never usable) before the operation could complete.</summary>
public sealed class ConnectionClosedException : FrameConnectionException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionClosedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ConnectionClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ConnectionClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why the connection ended.</summary>
    public ConnectionCloseReason Reason { get; init; }
}
