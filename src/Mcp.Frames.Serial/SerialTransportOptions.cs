using System.IO.Ports;
using System.Runtime.InteropServices;
using Mcp.Frames.Serial.Native;

namespace Mcp.Frames.Serial;

/// <summary>
/// How to open and run a serial link. Checked by <see cref="Validate"/> when a <see cref="SerialTransportConnector"/>
/// is created; the connector keeps its own copy, so later changes to this object do not affect it.
/// </summary>
public sealed class SerialTransportOptions
{
    /// <summary>The default <see cref="BaudRate"/>: 115200.</summary>
    public const int DefaultBaudRate = 115200;

    /// <summary>The smallest stall timeout derived from the baud rate: 50 ms (PROTOCOL.md §1.1 rule 5).</summary>
    public static readonly TimeSpan MinimumStallTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>How many character times an incomplete frame may wait for its next byte (PROTOCOL.md §1.1 rule 5).</summary>
    public const int StallCharacterTimes = 40;

    /// <summary>
    /// The port: a device path such as <c>/dev/ttyUSB0</c>, a stable name such as
    /// <c>/dev/serial/by-id/usb-FTDI_…-if00-port0</c> (see <see cref="SerialPorts.List()"/>), or <c>COM3</c> on Windows.
    /// </summary>
    public string PortName { get; set; } = string.Empty;

    /// <summary>Bits per second. Default 115200.</summary>
    public int BaudRate { get; set; } = DefaultBaudRate;

    /// <summary>Parity bit. Default none.</summary>
    public Parity Parity { get; set; } = Parity.None;

    /// <summary>Data bits per character, 5 to 8. Default 8.</summary>
    public int DataBits { get; set; } = 8;

    /// <summary>Stop bits: one, one and a half, or two. Default one.</summary>
    public StopBits StopBits { get; set; } = StopBits.One;

    /// <summary>Flow control. Default none.</summary>
    public Handshake Handshake { get; set; } = Handshake.None;

    /// <summary>
    /// Silence longer than this is reported as the link going down (<see cref="Timeout.InfiniteTimeSpan"/>, the
    /// default, never: a quiet device is normal, and the connection's heartbeat finds dead links).
    /// </summary>
    public TimeSpan ReadTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Limit for one write to the port; a write that does not finish in time (the other end not reading, flow
    /// control holding the line) reports the link down. Must be finite. Default 5 seconds.
    /// </summary>
    /// <remarks>
    /// With <see cref="SerialBackend.NativeTty"/> this is the longest the port may accept no byte at all while bytes
    /// wait to go out: a slow line that keeps sending never times out, however large the write.
    /// </remarks>
    public TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Raise DTR after opening. Failing to set it (pseudo-terminals, some adapters) is logged, not fatal. Default off.</summary>
    public bool DtrEnable { get; set; }

    /// <summary>
    /// Raise RTS after opening (not with RTS/CTS <see cref="Handshake"/>, which drives RTS itself). Failing to set it is
    /// logged, not fatal. Default off.
    /// </summary>
    public bool RtsEnable { get; set; }

    /// <summary>
    /// Overrides the stall timeout the transport reports; <see langword="null"/> (the default) derives it from the
    /// line settings: see <see cref="EffectiveStallTimeout"/>.
    /// </summary>
    public TimeSpan? StallTimeout { get; set; }

    /// <summary>
    /// How long disposing the transport waits for buffered bytes to go out and then for the port to close. Closing can
    /// hang after a hang-up or with flow control held; past this deadline the close is abandoned on a background task.
    /// Default 2 seconds.
    /// </summary>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How the transport talks to the port. <see cref="SerialBackend.Auto"/> (the default) takes
    /// <see cref="SerialBackend.NativeTty"/> on Linux at a standard baud rate and System.IO.Ports otherwise; see
    /// <see cref="EffectiveBackend"/>. Asking for <see cref="SerialBackend.NativeTty"/> elsewhere fails validation.
    /// </summary>
    public SerialBackend Backend { get; set; } = SerialBackend.Auto;

    /// <summary>
    /// The backend a connector uses with these options: <see cref="Backend"/> unless it is
    /// <see cref="SerialBackend.Auto"/>, which becomes <see cref="SerialBackend.NativeTty"/> on Linux (on the
    /// architectures it supports) when <see cref="BaudRate"/> is a standard termios rate, else
    /// <see cref="SerialBackend.SystemIoPorts"/>.
    /// </summary>
    public SerialBackend EffectiveBackend => Backend switch
    {
        SerialBackend.Auto => LibC.IsSupportedArchitecture && Termios.TryGetSpeed(BaudRate, out _) ? SerialBackend.NativeTty : SerialBackend.SystemIoPorts,
        _ => Backend,
    };

    /// <summary>Bits on the wire per character: start bit, data bits, parity bit if any, stop bits.</summary>
    public double BitsPerCharacter => 1 + DataBits + (Parity == Parity.None ? 0 : 1) + StopBits switch
    {
        StopBits.OnePointFive => 1.5,
        StopBits.Two => 2,
        _ => 1,
    };

    /// <summary>The time one character takes on the wire at <see cref="BaudRate"/>.</summary>
    public TimeSpan CharacterTime => TimeSpan.FromSeconds(BitsPerCharacter / Math.Max(1, BaudRate));

    /// <summary>
    /// The stall timeout the transport reports: <see cref="StallTimeout"/> if set, else the larger of
    /// <see cref="MinimumStallTimeout"/> and <see cref="StallCharacterTimes"/> character times.
    /// </summary>
    public TimeSpan EffectiveStallTimeout
    {
        get
        {
            if (StallTimeout is { } set)
            {
                return set;
            }

            TimeSpan derived = CharacterTime * StallCharacterTimes;
            return derived > MinimumStallTimeout ? derived : MinimumStallTimeout;
        }
    }

    /// <summary>Checks every option and throws an exception whose parameter name and message name the bad one.</summary>
    /// <exception cref="ArgumentException">An option is missing, out of range, or conflicts with another.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(PortName))
        {
            throw new ArgumentException("SerialTransportOptions.PortName must be set (for example /dev/ttyUSB0 or COM3).", nameof(PortName));
        }

        if (BaudRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BaudRate), BaudRate, $"SerialTransportOptions.BaudRate must be positive (was {BaudRate}).");
        }

        CheckBackend();
        if (DataBits is < 5 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(DataBits), DataBits, $"SerialTransportOptions.DataBits must be 5 to 8 (was {DataBits}).");
        }

        if (!Enum.IsDefined(Parity))
        {
            throw new ArgumentOutOfRangeException(nameof(Parity), Parity, $"SerialTransportOptions.Parity has an unknown value ({(int)Parity}).");
        }

        if (StopBits is not (StopBits.One or StopBits.OnePointFive or StopBits.Two))
        {
            throw new ArgumentOutOfRangeException(nameof(StopBits), StopBits, $"SerialTransportOptions.StopBits must be One, OnePointFive or Two (was {StopBits}).");
        }

        if (!Enum.IsDefined(Handshake))
        {
            throw new ArgumentOutOfRangeException(nameof(Handshake), Handshake, $"SerialTransportOptions.Handshake has an unknown value ({(int)Handshake}).");
        }

        if (RtsEnable && Handshake is Handshake.RequestToSend or Handshake.RequestToSendXOnXOff)
        {
            throw new ArgumentException($"SerialTransportOptions.RtsEnable cannot be set with Handshake {Handshake}: the handshake drives RTS.", nameof(RtsEnable));
        }

        CheckTimeout(ReadTimeout, nameof(ReadTimeout), infiniteAllowed: true);
        CheckTimeout(WriteTimeout, nameof(WriteTimeout), infiniteAllowed: false);
        CheckTimeout(DisposeTimeout, nameof(DisposeTimeout), infiniteAllowed: false);
        if (StallTimeout is { } stall && stall <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(StallTimeout), stall, $"SerialTransportOptions.StallTimeout must be positive, or null to derive it from the baud rate (was {stall}).");
        }
    }

    /// <summary>A copy, so that a connector is not affected by later changes.</summary>
    internal SerialTransportOptions Clone() => (SerialTransportOptions)MemberwiseClone();

    private void CheckBackend()
    {
        if (!Enum.IsDefined(Backend))
        {
            throw new ArgumentOutOfRangeException(nameof(Backend), Backend, $"SerialTransportOptions.Backend has an unknown value ({(int)Backend}).");
        }

        if (Backend != SerialBackend.NativeTty)
        {
            return;
        }

        if (!LibC.IsSupportedArchitecture)
        {
            throw new ArgumentException(
                $"SerialTransportOptions.Backend NativeTty needs Linux on x86-64, x86, ARM, ARM64, RISC-V or LoongArch; this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture}. Use SystemIoPorts or Auto.",
                nameof(Backend));
        }

        if (!Termios.TryGetSpeed(BaudRate, out _))
        {
            throw new ArgumentException(
                $"SerialTransportOptions.Backend NativeTty cannot run at BaudRate {BaudRate}: termios has a speed constant only for the standard rates ({string.Join(", ", Termios.StandardBaudRates.ToArray())}). Use SystemIoPorts, or Auto, which takes it for other rates.",
                nameof(Backend));
        }
    }

    private static void CheckTimeout(TimeSpan value, string name, bool infiniteAllowed)
    {
        if (value == Timeout.InfiniteTimeSpan)
        {
            if (!infiniteAllowed)
            {
                throw new ArgumentOutOfRangeException(name, value, $"SerialTransportOptions.{name} must be finite: a hung port must not hang the link forever.");
            }

            return;
        }

        if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            string allowed = infiniteAllowed ? "positive and below 24.8 days, or Timeout.InfiniteTimeSpan" : "positive and below 24.8 days";
            throw new ArgumentOutOfRangeException(name, value, $"SerialTransportOptions.{name} must be {allowed} (was {value}).");
        }
    }
}
