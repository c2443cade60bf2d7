using System.IO.Pipelines;
using Mcp.Frames.Serial.Native;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.FirmwareSim.Pty;

/// <summary>
/// An <see cref="ITransport"/> over the master side of a <see cref="PseudoTerminal"/>, served by the serial package's
/// native tty data path (<see cref="TtyPump"/>): a reader thread that waits in <c>poll</c>, flushes that write from
/// the flushing thread while the kernel buffer has room, and a writer thread for when it is full, both threads woken
/// for shutdown through a private pipe, so nothing polls with a timeout and disposal never waits on a blocked
/// <c>read</c>.
/// </summary>
/// <remarks>
/// A write that cannot go out within the write timeout (nobody reads the other side and the kernel buffer is full)
/// ends the link with a <see cref="TransportException"/>, as the serial transport does. Disposal leaves the descriptor
/// open: the pseudo-terminal owns it and serves the next session with a new transport.
/// </remarks>
internal sealed class TtyTransport : ITransport
{
    private readonly TtyPump _pump;

    /// <summary>Serves an open tty descriptor it does not own.</summary>
    /// <param name="name">The link's name, such as <c>pty /dev/pts/3</c>.</param>
    /// <param name="fd">The descriptor, in non-blocking mode.</param>
    /// <param name="stallTimeout">The stall timeout the link reports (PROTOCOL.md §1.1 rule 5).</param>
    /// <param name="writeTimeout">How long a write may wait for room before the link is declared dead.</param>
    public TtyTransport(string name, int fd, TimeSpan? stallTimeout, TimeSpan writeTimeout)
    {
        Name = name;
        StallTimeout = stallTimeout;
        var settings = new TtyPumpSettings(writeTimeout, ReadTimeout: Timeout.InfiniteTimeSpan, DisposeTimeout: writeTimeout + TimeSpan.FromSeconds(1));
        _pump = new TtyPump(name, fd, closeDevice: null, settings, NullLogger.Instance);
    }

    public string Name { get; }

    public TimeSpan? StallTimeout { get; }

    public PipeReader Input => _pump.Input;

    public PipeWriter Output => _pump.Output;

    public ValueTask DisposeAsync() => _pump.DisposeAsync();

    public override string ToString() => Name;
}
