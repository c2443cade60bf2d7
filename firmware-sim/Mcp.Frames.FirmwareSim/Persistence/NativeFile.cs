using System.Runtime.InteropServices;

namespace Mcp.Frames.FirmwareSim.Persistence;

/// <summary>The one durability call .NET does not offer: fsync of a directory, so a rename inside it survives power loss.</summary>
internal static partial class NativeFile
{
    private const int ReadOnly = 0; // O_RDONLY: opening a directory read-only is enough to fsync it

    /// <summary>Flushes a directory's entries (a rename) to disk. Does nothing where directories cannot be synced (Windows).</summary>
    /// <param name="directory">The directory.</param>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // MoveFileEx replaces durably on NTFS; there is no directory handle to flush
        }

        int fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {directory} to sync it: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
