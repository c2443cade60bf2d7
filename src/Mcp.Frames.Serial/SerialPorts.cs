using System.IO.Ports;

namespace Mcp.Frames.Serial;

/// <summary>Finds the serial ports of this machine.</summary>
public static class SerialPorts
{
    /// <summary>The directory of stable, per-adapter port names that udev maintains on Linux.</summary>
    public const string ByIdDirectory = "/dev/serial/by-id";

    /// <summary>
    /// Lists the serial ports: those the OS reports, plus every <c>/dev/serial/by-id</c> link resolved to its device,
    /// with the stable name attached. Sorted by <see cref="SerialPortInfo.PortName"/>. Pseudo-terminals are not
    /// listed. May be empty.
    /// </summary>
    /// <returns>The ports.</returns>
    public static IReadOnlyList<SerialPortInfo> List() => List(SerialPort.GetPortNames(), ByIdDirectory);

    /// <summary>The listing with its inputs injected (for tests: a temporary directory of links).</summary>
    /// <param name="portNames">Device names the OS reports.</param>
    /// <param name="byIdDirectory">A directory of symbolic links to devices.</param>
    internal static IReadOnlyList<SerialPortInfo> List(IEnumerable<string> portNames, string byIdDirectory)
    {
        var stableNames = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach ((string link, string target) in ResolveLinks(byIdDirectory))
        {
            stableNames.TryAdd(target, link); // links are visited in order, so the first name wins
        }

        var names = new SortedSet<string>(portNames.Where(n => !string.IsNullOrEmpty(n)), StringComparer.Ordinal);
        names.UnionWith(stableNames.Keys);
        return names.Select(n => new SerialPortInfo(n, stableNames.GetValueOrDefault(n))).ToArray();
    }

    private static IEnumerable<(string Link, string Target)> ResolveLinks(string directory)
    {
        string[] links;
        try
        {
            links = Directory.Exists(directory) ? Directory.GetFiles(directory) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        Array.Sort(links, StringComparer.Ordinal);
        foreach (string link in links)
        {
            string? target = null;
            try
            {
                FileSystemInfo? final = new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true);
                if (final is not null && final.Exists)
                {
                    target = final.FullName;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // a dangling or unreadable link: the adapter was just unplugged
            }

            if (target is not null)
            {
                yield return (link, target);
            }
        }
    }
}
