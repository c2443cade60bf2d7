using System.Diagnostics;
using System.IO.Ports;
using Mcp.Frames.Transports;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.Serial.Native;

/// <summary>
/// Opening, configuring and closing a serial port as a tty file descriptor (the native backend; Linux only). The data
/// path is <see cref="TtyPump"/>.
/// </summary>
internal static unsafe class TtyDevice
{
    /// <summary>ioctl: bytes in the output queue not yet sent.</summary>
    private const uint TiocOutq = 0x5411;

    /// <summary>
    /// Opens the port non-blocking (a tty that waits for carrier does not hold the open), takes it for exclusive use as
    /// System.IO.Ports does, sets the line from <paramref name="options"/>, reads the settings back, and raises DTR and
    /// RTS if asked.
    /// </summary>
    /// <returns>The descriptor, in non-blocking mode; <see cref="Close"/> it.</returns>
    /// <exception cref="TransportException">The port cannot be opened or the driver refused a setting; the message
    /// starts with <paramref name="name"/> and says why.</exception>
    public static int Open(SerialTransportOptions options, string name, ILogger logger)
    {
        int fd = LibC.Open(options.PortName, LibC.ORdWr | LibC.ONoCtty | LibC.ONonBlock | LibC.OCloExec);
        if (fd < 0)
        {
            int errno = LibC.LastErrno();
            throw CannotOpen(name, OpenFailure(errno, LibC.LastError()));
        }

        try
        {
            // TIOCEXCL cannot fail on a terminal; it fails (ENOTTY) on anything else, which is no serial port.
            if (LibC.Ioctl(fd, LibC.TiocExcl, null) != 0)
            {
                int errno = LibC.LastErrno();
                throw CannotOpen(name, errno == LibC.ENotTy
                    ? $"{options.PortName} is not a terminal device (a serial port or pseudo-terminal)."
                    : $"cannot take the port for exclusive use: {LibC.LastError()}.");
            }

            Configure(fd, options, name, logger);
            SetControlLine(fd, options.DtrEnable, LibC.TiocmDtr, "DTR", name, logger);
            if (options.Handshake is not (Handshake.RequestToSend or Handshake.RequestToSendXOnXOff))
            {
                SetControlLine(fd, options.RtsEnable, LibC.TiocmRts, "RTS", name, logger);
            }

            return fd;
        }
        catch
        {
            _ = LibC.Ioctl(fd, LibC.TiocNxcl, null);
            _ = LibC.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Closes a descriptor from <see cref="Open"/>: waits until the bytes in the driver's output queue are sent or
    /// <paramref name="deadline"/> has passed, discards what is still queued then (so that <c>close</c> does not wait
    /// for it, which serial drivers do for up to 30 s), leaves exclusive mode and closes.
    /// </summary>
    /// <remarks>
    /// Only a queue that is still full at the deadline is discarded: on a pseudo-terminal the output queue always reads
    /// empty and <c>TCOFLUSH</c> would discard the bytes waiting on the other side, not yet read there.
    /// </remarks>
    public static void Close(int fd, TimeSpan deadline, SerialTransportOptions options)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            int queued = 0;
            if (LibC.Ioctl(fd, TiocOutq, &queued) != 0 || queued <= 0)
            {
                break;
            }

            TimeSpan left = deadline - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                _ = LibC.TcFlush(fd, LibC.TcoFlush);
                break;
            }

            // Wait as long as the queued bytes take on the line, not polling faster: this is the end of a close.
            TimeSpan lineTime = options.CharacterTime * queued;
            Thread.Sleep(TimeSpan.FromTicks(Math.Clamp(lineTime.Ticks, TimeSpan.TicksPerMillisecond, left.Ticks)));
        }

        _ = LibC.Ioctl(fd, LibC.TiocNxcl, null);
        _ = LibC.Close(fd);
    }

    private static void Configure(int fd, SerialTransportOptions options, string name, ILogger logger)
    {
        if (!Termios.TryGetSpeed(options.BaudRate, out uint speed))
        {
            // Validate refuses this for NativeTty; Auto never chooses it. Kept as a guard.
            throw CannotOpen(name, $"{options.BaudRate} baud has no termios speed constant.");
        }

        Termios asked;
        if (LibC.TcGetAttr(fd, &asked) != 0)
        {
            throw CannotOpen(name, $"tcgetattr failed: {LibC.LastError()}.");
        }

        LibC.CfMakeRaw(&asked);
        TtyLineSettings.Apply(ref asked, options);
        if (LibC.CfSetISpeed(&asked, speed) != 0 || LibC.CfSetOSpeed(&asked, speed) != 0)
        {
            throw CannotOpen(name, $"cfsetspeed({options.BaudRate}) failed: {LibC.LastError()}.");
        }

        if (LibC.TcSetAttr(fd, LibC.TcsaNow, &asked) != 0)
        {
            throw CannotOpen(name, $"the driver refused the line settings {options.BaudRate} {TtyLineSettings.ShortForm(options)} (tcsetattr: {LibC.LastError()}).");
        }

        // tcsetattr succeeds if the driver took any of the settings: read them back to see which it kept.
        Termios kept;
        if (LibC.TcGetAttr(fd, &kept) != 0)
        {
            throw CannotOpen(name, $"tcgetattr failed: {LibC.LastError()}.");
        }

        bool pseudoTerminal = IsPseudoTerminal(fd);
        string? refused = TtyLineSettings.Refused(asked, speed, kept, LibC.CfGetISpeed(&kept), LibC.CfGetOSpeed(&kept), pseudoTerminal);
        if (refused is not null)
        {
            throw CannotOpen(name, $"the driver did not accept {refused}.");
        }

        if (pseudoTerminal && (options.DataBits != 8 || options.Parity != Parity.None))
        {
            SerialLog.PseudoTerminalLineSettings(logger, name, TtyLineSettings.ShortForm(options));
        }
    }

    /// <summary>Whether the descriptor is a pseudo-terminal's slave (<c>/dev/pts/N</c>), whatever path opened it.</summary>
    private static bool IsPseudoTerminal(int fd)
    {
        try
        {
            string? target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            return target is not null && target.StartsWith("/dev/pts/", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Raises a modem line; as with System.IO.Ports, a line left off is not touched.</summary>
    private static void SetControlLine(int fd, bool on, int line, string lineName, string name, ILogger logger)
    {
        if (!on)
        {
            return;
        }

        int mask = line;
        if (LibC.Ioctl(fd, LibC.TiocmBis, &mask) != 0)
        {
            SerialLog.ControlLineFailed(logger, name, lineName, LibC.LastError());
        }
    }

    private static TransportException CannotOpen(string name, string reason) => new($"{name}: cannot open: {reason}");

    private static string OpenFailure(int errno, string text) => errno switch
    {
        LibC.EAcces or LibC.EPerm => $"access denied ({text}). On Linux the user needs the 'dialout' group (or the port is held by another program).",
        LibC.ENoEnt => $"no such port ({text}).",
        LibC.EBusy => $"the port is in use: another program holds it for exclusive use ({text}).",
        LibC.ENxio or LibC.ENoDev => $"the device is not there ({text}); was it unplugged?",
        _ => $"{text} (errno {errno}).",
    };
}
