using System.IO.Pipelines;
using System.IO.Ports;
using Mcp.Frames.Serial.Native;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Serial;

/// <summary>
/// An open serial port as an <see cref="ITransport"/>, named like <c>serial /dev/ttyUSB0</c>. Opened by
/// <see cref="SerialTransportConnector"/>.
/// </summary>
/// <remarks>
/// <para>
/// Two backends (<see cref="SerialTransportOptions.Backend"/>, the one in use in <see cref="Backend"/>). With
/// <see cref="SerialBackend.NativeTty"/> (Linux) a reader thread sleeps in <c>poll</c> on the port's descriptor until
/// bytes arrive and reads them straight into <see cref="Input"/>'s pipe; a flush of <see cref="Output"/> writes from
/// the flushing thread with non-blocking <c>write</c> calls while the port's buffer has room, and a writer thread
/// takes over, waiting in <c>poll</c>, while it is full. With
/// <see cref="SerialBackend.SystemIoPorts"/> a dedicated read loop awaits <c>BaseStream.ReadAsync</c> and a write loop
/// drains <see cref="Output"/> to the port. Either way writes are limited by
/// <see cref="SerialTransportOptions.WriteTimeout"/>; no <c>DataReceived</c> event.
/// </para>
/// <para>
/// With <see cref="SerialBackend.NativeTty"/>, code that awaits <see cref="Input"/> resumes on the transport's reader
/// thread (no thread-pool hop per read) and must not block there; <c>FrameConnection</c> and <c>FrameReader</c> never
/// do. With <see cref="SerialBackend.SystemIoPorts"/> it resumes on the thread pool.
/// </para>
/// <para>
/// A hang-up or unplug (the port reports end of stream, an I/O error or that it was closed), a write timeout, or
/// silence beyond <see cref="SerialTransportOptions.ReadTimeout"/> ends <see cref="Input"/> with a
/// <see cref="TransportException"/> that says which; the writer's next flush throws the same exception. Dispose the
/// transport and connect again to reopen the port. (<c>SerialPort.IsOpen</c> stays <see langword="true"/> after an
/// unplug, so the transport never relies on it.)
/// </para>
/// <para>
/// Disposal sends what was already written, then closes the port on a background task and waits at most about
/// <see cref="SerialTransportOptions.DisposeTimeout"/>: closing a port can hang after a hang-up.
/// </para>
/// </remarks>
public sealed partial class SerialTransport : ITransport
{
    private readonly ILinkPump _pump;

    private SerialTransport(SerialTransportOptions options, SerialBackend backend, Func<string, ILinkPump> pump)
    {
        PortName = options.PortName;
        BaudRate = options.BaudRate;
        Backend = backend;
        Name = $"serial {options.PortName}";
        StallTimeout = options.EffectiveStallTimeout;
        _pump = pump(Name);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The port's name as configured.</summary>
    public string PortName { get; }

    /// <summary>The configured baud rate.</summary>
    public int BaudRate { get; }

    /// <summary>The backend in use: <see cref="SerialTransportOptions.EffectiveBackend"/>, never <see cref="SerialBackend.Auto"/>.</summary>
    public SerialBackend Backend { get; }

    /// <summary>
    /// <see cref="SerialTransportOptions.EffectiveStallTimeout"/>: the override if one was set, else the larger of
    /// 50 ms and 40 character times at the baud rate (PROTOCOL.md §1.1 rule 5).
    /// </summary>
    public TimeSpan? StallTimeout { get; }

    /// <inheritdoc />
    public PipeReader Input => _pump.Input;

    /// <inheritdoc />
    public PipeWriter Output => _pump.Output;

    /// <summary>Closes the port (bounded in time; see the remarks on <see cref="SerialTransport"/>).</summary>
    /// <returns>A task that completes when the port is closed or the deadline has passed.</returns>
    public ValueTask DisposeAsync() => _pump.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The native data path, for tests; <see langword="null"/> with System.IO.Ports.</summary>
    internal TtyPump? NativePump => _pump as TtyPump;

    /// <summary>A transport over an open System.IO.Ports port.</summary>
    internal static SerialTransport OverSerialPort(SerialPort port, SerialTransportOptions options, ILogger logger) =>
        new(options, SerialBackend.SystemIoPorts, name => new Pump(name, port, options, logger));

    /// <summary>A transport over a tty descriptor from <see cref="TtyDevice.Open"/>; it closes the descriptor.</summary>
    internal static SerialTransport OverTty(int fd, SerialTransportOptions options, ILogger logger) =>
        new(options, SerialBackend.NativeTty, name => new TtyPump(
            name,
            fd,
            (descriptor, left) => TtyDevice.Close(descriptor, left, options),
            new TtyPumpSettings(options.WriteTimeout, options.ReadTimeout, options.DisposeTimeout),
            logger));
}
