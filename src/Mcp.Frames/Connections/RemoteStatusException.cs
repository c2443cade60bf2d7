namespace Mcp.Frames.Connections;

/// <summary>The peer answered a request with a status other than OK.</summary>
public sealed class RemoteStatusException : FrameConnectionException
{
    /// <summary>Creates the exception.</summary>
    public RemoteStatusException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public RemoteStatusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteStatusException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The request's command.</summary>
    public byte Command { get; init; }

    /// <summary>The status byte the peer sent.</summary>
    public byte Status { get; init; }

    /// <summary>The status's name in the profile (for MCP/1: <c>NO_SUCH_MODULE</c>…).</summary>
    public string StatusName { get; init; } = "";

    /// <summary>
    /// The UTF-8 text the peer appended to the status, if any (PROTOCOL.md §2.2), exactly as sent; informational only.
    /// <see cref="Exception.Message"/> holds it escaped (<see cref="Mcp1.PeerText"/>).
    /// </summary>
    public string? RemoteMessage { get; init; }
}
