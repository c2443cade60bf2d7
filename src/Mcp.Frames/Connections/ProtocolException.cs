namespace Mcp.Frames.Connections;

/// <summary>A message broke the profile's rules: a body too short or out of range, an unexpected field value.</summary>
public sealed class ProtocolException : FrameConnectionException
{
    /// <summary>Creates the exception.</summary>
    public ProtocolException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message, naming the command, the field and the numbers involved.</param>
    public ProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public ProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
