using System.Runtime.InteropServices;

namespace Mcp.Frames.Serial.Native;

/// <summary>
/// The libc calls behind the native tty backend and the firmware simulator's pseudo-terminals (Linux only).
/// </summary>
/// <remarks>
/// The constants are Linux's generic values (asm-generic), which x86-64, x86, 32-bit ARM, ARM64, RISC-V and LoongArch
/// use; MIPS, PowerPC, SPARC and Alpha number several of them differently, so <see cref="SerialTransportOptions"/>
/// offers the native backend only on the architectures listed in <see cref="IsSupportedArchitecture"/>.
/// </remarks>
internal static unsafe partial class LibC
{
    public const int ORdWr = 0x2;
    public const int ONoCtty = 0x100;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int FGetFl = 3;
    public const int FSetFl = 4;

    public const short PollIn = 0x1;
    public const short PollOut = 0x4;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;
    public const short PollNval = 0x20;

    public const int TcsaNow = 0;
    public const int TciFlush = 0;
    public const int TcoFlush = 1;
    public const int TcioFlush = 2;

    /// <summary>ioctl: exclusive mode (later opens fail with EBUSY, except for a privileged process).</summary>
    public const uint TiocExcl = 0x540C;

    /// <summary>ioctl: leave exclusive mode.</summary>
    public const uint TiocNxcl = 0x540D;

    /// <summary>ioctl: raise the modem lines in the argument's mask.</summary>
    public const uint TiocmBis = 0x5416;

    /// <summary>ioctl: lower the modem lines in the argument's mask.</summary>
    public const uint TiocmBic = 0x5417;

    public const int TiocmDtr = 0x002;
    public const int TiocmRts = 0x004;

    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EIo = 5;
    public const int ENxio = 6;
    public const int EAgain = 11;
    public const int EAcces = 13;
    public const int EBusy = 16;
    public const int ENoDev = 19;
    public const int ENotTy = 25;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    /// <summary><c>ioctl(fd, request, argument)</c>: every request used here takes an <c>int*</c> or nothing.</summary>
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, int* argument);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int when, Termios* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw(Termios* termios);

    [LibraryImport("libc", EntryPoint = "cfsetispeed", SetLastError = true)]
    public static partial int CfSetISpeed(Termios* termios, uint speed);

    [LibraryImport("libc", EntryPoint = "cfsetospeed", SetLastError = true)]
    public static partial int CfSetOSpeed(Termios* termios, uint speed);

    [LibraryImport("libc", EntryPoint = "cfgetispeed")]
    public static partial uint CfGetISpeed(Termios* termios);

    [LibraryImport("libc", EntryPoint = "cfgetospeed")]
    public static partial uint CfGetOSpeed(Termios* termios);

    [LibraryImport("libc", EntryPoint = "tcflush", SetLastError = true)]
    public static partial int TcFlush(int fd, int queue);

    /// <summary>Whether the constants above are this process's: Linux on an architecture with the generic values.</summary>
    public static bool IsSupportedArchitecture =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86
            or Architecture.Arm or Architecture.Armv6 or Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64;

    /// <summary>The text of the last error of a P/Invoke with SetLastError.</summary>
    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();

    /// <summary>The errno of the last P/Invoke with SetLastError.</summary>
    public static int LastErrno() => Marshal.GetLastPInvokeError();

    /// <summary>Puts a tty in raw mode (no echo, no line editing, no CR/LF translation, 8-bit clean).</summary>
    public static void MakeRaw(int fd)
    {
        Termios termios;
        if (TcGetAttr(fd, &termios) != 0)
        {
            throw new IOException($"tcgetattr failed: {LastError()}");
        }

        CfMakeRaw(&termios);
        if (TcSetAttr(fd, TcsaNow, &termios) != 0)
        {
            throw new IOException($"tcsetattr failed: {LastError()}");
        }
    }

    /// <summary>Sets O_NONBLOCK on a descriptor.</summary>
    public static void SetNonBlocking(int fd)
    {
        int flags = Fcntl(fd, FGetFl, 0);
        if (flags < 0 || Fcntl(fd, FSetFl, flags | ONonBlock) < 0)
        {
            throw new IOException($"fcntl(O_NONBLOCK) failed: {LastError()}");
        }
    }

    /// <summary>Writes one byte to a pipe, to wake a thread waiting in <see cref="Poll"/> on its other end.</summary>
    public static void Wake(int pipeWriteEnd)
    {
        byte one = 1;
        _ = Write(pipeWriteEnd, &one, 1);
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}
