using System.Runtime.InteropServices;

namespace Mcp.Frames.FirmwareSim.Pty;

/// <summary>
/// The libc calls behind pseudo-terminals and the tty transport (Linux; the constants are Linux's, the same on x86-64,
/// ARM and ARM64).
/// </summary>
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

    public const int EIntr = 4;
    public const int EIo = 5;
    public const int EAgain = 11;

    /// <summary>Bytes reserved for a <c>struct termios</c> (60 on Linux); only libc reads and writes it.</summary>
    public const int TermiosSize = 256;

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    public static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    public static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    public static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    public static partial int PtsNameR(int fd, byte* buffer, nuint length);

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

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int TcGetAttr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int TcSetAttr(int fd, int when, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    public static partial void CfMakeRaw(byte* termios);

    [LibraryImport("libc", EntryPoint = "tcflush", SetLastError = true)]
    public static partial int TcFlush(int fd, int queue);

    /// <summary>The text of the last error of a P/Invoke with SetLastError.</summary>
    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();

    /// <summary>Puts a tty in raw mode (no echo, no line editing, no CR/LF translation, 8-bit clean).</summary>
    public static void MakeRaw(int fd)
    {
        byte* termios = stackalloc byte[TermiosSize];
        if (TcGetAttr(fd, termios) != 0)
        {
            throw new IOException($"tcgetattr failed: {LastError()}");
        }

        CfMakeRaw(termios);
        if (TcSetAttr(fd, TcsaNow, termios) != 0)
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

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}
