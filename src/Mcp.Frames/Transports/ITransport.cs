using System.IO.Pipelines;

namespace Mcp.Frames.Transports;

/// <summary>
/// One open link carrying bytes both ways (a TCP connection, a serial port, an in-memory pair…), as a duplex pipe.
/// </summary>
/// <remarks>
/// <para>
/// The transport owns the I/O loops between the pipe and the device. When the link goes down (peer closed, hang-up,
/// unplug, I/O error) the transport completes <see cref="IDuplexPipe.Input"/>: normally for an orderly end of stream,
/// or with a <see cref="TransportException"/> that says why. Readers therefore see link loss as the end of their
/// read loop, with no polling.
/// </para>
/// <para>Disposing closes the link; it returns within a bounded time even when the OS close call hangs.</para>
/// </remarks>
public interface ITransport : IDuplexPipe, IAsyncDisposable
{
    /// <summary>A short human-readable name of the link for messages and logs, such as <c>tcp 127.0.0.1:5020</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The stall timeout this kind of link wants (PROTOCOL.md §1.1 rule 5): derived from the baud rate on serial
    /// links, <see langword="null"/> (disabled) on TCP and in-memory links.
    /// </summary>
    TimeSpan? StallTimeout { get; }
}
