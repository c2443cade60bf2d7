namespace Mcp.Frames.Transports;

/// <summary>
/// Opens links of one configured kind (dials a TCP endpoint, opens a serial port…). Used once for a single
/// connection, or again and again by a reconnecting link.
/// </summary>
public interface ITransportConnector
{
    /// <summary>A short description of what this connector opens, such as <c>tcp 10.0.0.5:5020</c>, for messages.</summary>
    string Name { get; }

    /// <summary>Opens a new link.</summary>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The open link.</returns>
    /// <exception cref="TransportException">The link could not be opened; the message names the endpoint and why.</exception>
    ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default);
}
