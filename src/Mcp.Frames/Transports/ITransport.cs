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
/// <para>
/// Code awaiting <see cref="IDuplexPipe.Input"/> may resume on the transport's receive loop (the TCP transport and the
/// native serial backend continue it there, to keep a thread hand-over off every message), and it may do so inside
/// another call on the transport, such as a flush of <see cref="IDuplexPipe.Output"/> or a dispose. It must therefore
/// not block, and must not wait for a lock held around those calls: hand longer work to another task.
/// <c>FrameConnection</c>'s read loop only parses frames and hands them off.
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
