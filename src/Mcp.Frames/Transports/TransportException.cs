namespace Mcp.Frames.Transports;

/// <summary>A link could not be opened, or went down. The message names the link and the reason.</summary>
public class TransportException : IOException
{
    /// <summary>Creates the exception.</summary>
    public TransportException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened, naming the link.</param>
    public TransportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    /// <param name="message">What happened, naming the link.</param>
    /// <param name="innerException">The underlying error.</param>
    public TransportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
