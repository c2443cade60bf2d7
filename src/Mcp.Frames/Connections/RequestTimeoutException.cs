namespace Mcp.Frames.Connections;

/// <summary>A request got no answer within its timeout.</summary>
public sealed class RequestTimeoutException : FrameConnectionException
{
    /// <summary>Creates the exception.</summary>
    public RequestTimeoutException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public RequestTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RequestTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The request's command.</summary>
    public byte Command { get; init; }

    /// <summary>The timeout that ran out.</summary>
    public TimeSpan Timeout { get; init; }
}
