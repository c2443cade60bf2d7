using System.IO.Pipelines;
using System.IO.Ports;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Serial;

/// <summary>
/// An open serial port as an <see cref="ITransport"/>, named like <c>serial /dev/ttyUSB0</c>. Opened by
/// <see cref="SerialTransportConnector"/>.
/// </summary>
/// <remarks>
/// <para>
/// A dedicated read loop awaits <c>BaseStream.ReadAsync</c> and writes what arrives into <see cref="Input"/>'s pipe;
/// a write loop drains <see cref="Output"/> to the port, each write limited by
/// <see cref="SerialTransportOptions.WriteTimeout"/>. No <c>DataReceived</c> event, no polling.
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
    private readonly Pump _pump;

    internal SerialTransport(SerialPort port, SerialTransportOptions options, ILogger logger)
    {
        PortName = options.PortName;
        BaudRate = options.BaudRate;
        Name = $"serial {options.PortName}";
        StallTimeout = options.EffectiveStallTimeout;
        _pump = new Pump(Name, port, options, logger);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The port's name as configured.</summary>
    public string PortName { get; }

    /// <summary>The configured baud rate.</summary>
    public int BaudRate { get; }

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
}
