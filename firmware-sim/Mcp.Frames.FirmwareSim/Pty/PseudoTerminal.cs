using System.Runtime.InteropServices;
using System.Text;
using Mcp.Frames.Serial.Native;

namespace Mcp.Frames.FirmwareSim.Pty;

/// <summary>
/// A pseudo-terminal made with <c>posix_openpt</c>/<c>grantpt</c>/<c>unlockpt</c>/<c>ptsname_r</c>: a real kernel tty
/// whose slave side (<see cref="SlavePath"/>, such as <c>/dev/pts/3</c>) a gateway opens like a serial port, while the
/// simulator serves the master side. Optionally keeps a stable symbolic link to the slave.
/// </summary>
/// <remarks>
/// The simulator keeps a slave descriptor open itself (in raw mode, like socat's <c>pty,raw,echo=0</c>): the line
/// discipline stays raw whoever opens the slave, and the master does not see a hang-up each time a client closes it,
/// so clients can come and go while the device keeps running. Linux only.
/// </remarks>
internal sealed unsafe partial class PseudoTerminal : IDisposable
{
    private int _master;
    private int _slave;

    private PseudoTerminal(int master, int slave, string slavePath, string? linkPath)
    {
        _master = master;
        _slave = slave;
        SlavePath = slavePath;
        LinkPath = linkPath;
    }

    /// <summary>The slave device, such as <c>/dev/pts/3</c>.</summary>
    public string SlavePath { get; }

    /// <summary>The symbolic link to <see cref="SlavePath"/>, if one was asked for.</summary>
    public string? LinkPath { get; }

    /// <summary>The master descriptor (owned by this object; transports borrow it).</summary>
    public int MasterFd => _master;

    /// <summary>Creates the pseudo-terminal and, when <paramref name="linkPath"/> is given, the link to it.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="IOException">A call failed, or the link path is taken by something that is not a symbolic link.</exception>
    public static PseudoTerminal Open(string? linkPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("--pty needs Linux (posix_openpt); use socat to make a pty pair elsewhere.");
        }

        int master = PosixOpenPt(LibC.ORdWr | LibC.ONoCtty | LibC.OCloExec);
        if (master < 0)
        {
            throw new IOException($"posix_openpt failed: {LibC.LastError()}");
        }

        int slave = -1;
        try
        {
            if (GrantPt(master) != 0 || UnlockPt(master) != 0)
            {
                throw new IOException($"grantpt/unlockpt failed: {LibC.LastError()}");
            }

            byte* name = stackalloc byte[256];
            int error = PtsNameR(master, name, 256);
            if (error != 0)
            {
                throw new IOException($"ptsname_r failed (error {error})");
            }

            string slavePath = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(name, IndexOfNul(name)));
            slave = LibC.Open(slavePath, LibC.ORdWr | LibC.ONoCtty | LibC.OCloExec);
            if (slave < 0)
            {
                throw new IOException($"cannot open {slavePath}: {LibC.LastError()}");
            }

            LibC.MakeRaw(slave);
            LibC.SetNonBlocking(master);
            string? link = linkPath is null ? null : CreateLink(linkPath, slavePath);
            return new PseudoTerminal(master, slave, slavePath, link);
        }
        catch
        {
            if (slave >= 0)
            {
                _ = LibC.Close(slave);
            }

            _ = LibC.Close(master);
            throw;
        }
    }

    public void Dispose()
    {
        if (LinkPath is not null)
        {
            RemoveLink(LinkPath, SlavePath);
        }

        int slave = Interlocked.Exchange(ref _slave, -1);
        if (slave >= 0)
        {
            _ = LibC.Close(slave);
        }

        int master = Interlocked.Exchange(ref _master, -1);
        if (master >= 0)
        {
            _ = LibC.Close(master);
        }
    }

    // Making a pseudo-terminal is the simulator's alone; the calls shared with the serial transport are in LibC.
    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int PosixOpenPt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantPt(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int UnlockPt(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int PtsNameR(int fd, byte* buffer, nuint length);

    private static int IndexOfNul(byte* text)
    {
        int i = 0;
        while (i < 256 && text[i] != 0)
        {
            i++;
        }

        return i;
    }

    /// <summary>Points <paramref name="linkPath"/> at the slave, replacing an older link atomically (never a regular file).</summary>
    private static string CreateLink(string linkPath, string slavePath)
    {
        string full = Path.GetFullPath(linkPath);
        bool isLink = new FileInfo(full).LinkTarget is not null; // also true for a dangling link from an earlier run
        if (!isLink && (File.Exists(full) || Directory.Exists(full)))
        {
            throw new IOException($"--link {full}: the path exists and is not a symbolic link; not replacing it");
        }

        string temp = $"{full}.{Environment.ProcessId}.tmp";
        File.Delete(temp);
        File.CreateSymbolicLink(temp, slavePath);
        File.Move(temp, full, overwrite: true); // rename(2): clients never see the link missing
        return full;
    }

    private static void RemoveLink(string linkPath, string slavePath)
    {
        try
        {
            var link = new FileInfo(linkPath);
            if (link.LinkTarget == slavePath)
            {
                link.Delete(); // only our own link: another simulator may have taken the path over
            }
        }
        catch (IOException)
        {
            // Best effort at shutdown.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort at shutdown.
        }
    }
}
