namespace Mcp.Frames.Serial;

/// <summary>How a <see cref="SerialTransport"/> talks to the port: <see cref="SerialTransportOptions.Backend"/>.</summary>
public enum SerialBackend
{
    /// <summary>
    /// <see cref="NativeTty"/> on Linux (x86-64, x86, ARM, ARM64, RISC-V, LoongArch) when the baud rate is one of the
    /// standard termios rates (50 to 4000000 with a <c>Bxxx</c> constant: 9600, 115200, 921600, …); else
    /// <see cref="SystemIoPorts"/>.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// System.IO.Ports' <c>SerialPort.BaseStream</c>: every operating system and any baud rate the driver takes. On Linux
    /// it serves reads and writes from its own I/O thread, which polls the port every millisecond while a read is
    /// waiting.
    /// </summary>
    SystemIoPorts = 1,

    /// <summary>
    /// The port as a Linux tty file descriptor configured with termios: a reader thread that sleeps in <c>poll</c>
    /// until bytes arrive and reads them straight into the transport's pipe, and a writer thread. No timer, no copy.
    /// Linux only, standard baud rates only.
    /// </summary>
    NativeTty = 2,
}
