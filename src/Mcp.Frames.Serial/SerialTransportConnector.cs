using System.IO.Ports;
using Mcp.Frames.Serial.Native;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mcp.Frames.Serial;

/// <summary>
/// Opens a serial port as a <see cref="SerialTransport"/>. Each <see cref="ConnectAsync"/> opens the port anew, so a
/// reconnecting link can reopen a port after an unplug (dispose the old transport first).
/// </summary>
public sealed class SerialTransportConnector : ITransportConnector
{
    private readonly SerialTransportOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a connector; checks the options now, so mistakes surface at start-up.</summary>
    /// <param name="options">The port settings; the connector keeps a copy.</param>
    /// <param name="logger">Receives modem-line failures and missed close deadlines; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public SerialTransportConnector(SerialTransportOptions options, ILogger<SerialTransportConnector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Name = $"serial {_options.PortName}";
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>A copy of the options this connector uses.</summary>
    public SerialTransportOptions Options => _options.Clone();

    /// <summary>Opens the port.</summary>
    /// <param name="cancellationToken">Stops waiting for the open (a port that is still opening is closed once it has).</param>
    /// <returns>The open <see cref="SerialTransport"/>.</returns>
    /// <exception cref="TransportException">The port cannot be opened; the message names it and says why.</exception>
    public async ValueTask<ITransport> ConnectAsync(CancellationToken cancellationToken = default) =>
        await OpenAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>Opens the port; the same as <see cref="ConnectAsync"/>, typed.</summary>
    /// <param name="cancellationToken">Stops waiting for the open.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="TransportException">The port cannot be opened; the message names it and says why.</exception>
    public async ValueTask<SerialTransport> OpenAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SerialBackend backend = _options.EffectiveBackend;
        SerialTransport transport = backend == SerialBackend.NativeTty
            ? await OpenNativeAsync(cancellationToken).ConfigureAwait(false)
            : await OpenSystemIoPortsAsync(cancellationToken).ConfigureAwait(false);
        SerialLog.Opened(_logger, transport.Name, _options.BaudRate, backend, _options.EffectiveStallTimeout.TotalMilliseconds);
        return transport;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private async ValueTask<SerialTransport> OpenNativeAsync(CancellationToken cancellationToken)
    {
        // Opening a tty can take a while (some USB adapters reset on open), so never on the caller's thread.
        Task<int> open = Task.Run(() => TtyDevice.Open(_options, Name, _logger), CancellationToken.None);
        int fd;
        try
        {
            fd = await open.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = open.ContinueWith(
                static (t, options) =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        TtyDevice.Close(t.Result, TimeSpan.Zero, (SerialTransportOptions)options!);
                    }
                    else
                    {
                        _ = t.Exception; // observed: nobody waits for this open any more
                    }
                },
                _options,
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            throw;
        }

        try
        {
            return SerialTransport.OverTty(fd, _options, _logger);
        }
        catch
        {
            TtyDevice.Close(fd, TimeSpan.Zero, _options);
            throw;
        }
    }

    private async ValueTask<SerialTransport> OpenSystemIoPortsAsync(CancellationToken cancellationToken)
    {
        SerialPort port;
        try
        {
            port = new SerialPort(_options.PortName, _options.BaudRate, _options.Parity, _options.DataBits, _options.StopBits)
            {
                Handshake = _options.Handshake,
                ReadTimeout = ToMilliseconds(_options.ReadTimeout),
                WriteTimeout = ToMilliseconds(_options.WriteTimeout),
            };
        }
        catch (ArgumentException ex)
        {
            throw new TransportException($"{Name}: cannot open: {ex.Message}", ex);
        }

        // Opening a tty can block (for example waiting for carrier), so never on the caller's thread.
        Task open = Task.Run(port.Open, CancellationToken.None);
        try
        {
            await open.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = open.ContinueWith(
                static (t, p) =>
                {
                    _ = t.Exception; // observed: nobody waits for this open any more
                    ((SerialPort)p!).Dispose();
                },
                port,
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
            throw;
        }
        catch (Exception ex)
        {
            port.Dispose();
            throw new TransportException($"{Name}: cannot open: {Reason(ex)}", ex);
        }

        SetControlLine(port, "DTR", _options.DtrEnable, static (p, on) => p.DtrEnable = on);
        if (_options.Handshake is not (Handshake.RequestToSend or Handshake.RequestToSendXOnXOff))
        {
            SetControlLine(port, "RTS", _options.RtsEnable, static (p, on) => p.RtsEnable = on);
        }

        return SerialTransport.OverSerialPort(port, _options, _logger);
    }

    private void SetControlLine(SerialPort port, string line, bool on, Action<SerialPort, bool> set)
    {
        if (!on)
        {
            return; // the port opens with the line low; touching it on a pseudo-terminal only throws
        }

        try
        {
            set(port, on);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            SerialLog.ControlLineFailed(_logger, Name, line, ex.Message);
        }
    }

    private static int ToMilliseconds(TimeSpan timeout) =>
        timeout == Timeout.InfiniteTimeSpan ? SerialPort.InfiniteTimeout : (int)Math.Ceiling(timeout.TotalMilliseconds);

    private string Reason(Exception error) => error switch
    {
        // System.IO.Ports on Unix reports a path that does not exist as access denied.
        UnauthorizedAccessException when OperatingSystem.IsLinux() && !File.Exists(_options.PortName) => $"no such port ({_options.PortName} does not exist).",
        UnauthorizedAccessException => $"access denied ({error.Message}). On Linux the user needs the 'dialout' group (or the port is held by another program).",
        FileNotFoundException or DirectoryNotFoundException => $"no such port ({error.Message}).",
        IOException => $"{error.Message}",
        _ => $"{error.GetType().Name}: {error.Message}",
    };
}
