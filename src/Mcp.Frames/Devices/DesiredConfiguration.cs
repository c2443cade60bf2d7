using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Mcp.Frames.Devices;

/// <summary>
/// The configuration a gateway wants its devices to hold: <c>deviceId</c> → slot → register → value. Read from JSON
/// of the form <c>{ "sim-001": { "3": { "0": 150, "5": -2 } } }</c>; a bad file is refused with an error naming the
/// JSON path of the bad field.
/// </summary>
public sealed class DesiredConfiguration
{
    private readonly Dictionary<string, IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>>> _devices;

    private DesiredConfiguration(Dictionary<string, IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>>> devices) => _devices = devices;

    /// <summary>A configuration that names no device.</summary>
    public static DesiredConfiguration Empty { get; } = new([]);

    /// <summary>The device ids named.</summary>
    public IReadOnlyCollection<string> DeviceIds => _devices.Keys;

    /// <summary>The desired values of one device, by slot and register.</summary>
    /// <param name="deviceId">The device id.</param>
    /// <param name="slots">Its desired values.</param>
    /// <returns><see langword="false"/> when the device is not named.</returns>
    public bool TryGet(string deviceId, out IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>> slots)
    {
        if (_devices.TryGetValue(deviceId, out IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>>? found))
        {
            slots = found;
            return true;
        }

        slots = new Dictionary<byte, IReadOnlyDictionary<ushort, int>>();
        return false;
    }

    /// <summary>Reads a file.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="InvalidDataException">The file is not valid; the message names the file and the JSON path.</exception>
    public static DesiredConfiguration Load(string path)
    {
        string json;
        try
        {
            json = ReadBounded(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Desired configuration {path}: cannot be read: {ex.Message}", ex);
        }

        return Parse(json, path);
    }

    /// <summary>The largest file read (1 MiB): far more than any fleet's configuration, and a bound on a wrong path (a log file, an image).</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static string ReadBounded(string path)
    {
        // Opening a FIFO blocks until something writes to it, which would hang startup; a FIFO and a device report a
        // length of 0, as does an empty file, which is no configuration either. So a length of 0 is refused unopened,
        // looked up at the end of any chain of symbolic links (a link reports its own length).
        FileSystemInfo file = new FileInfo(path);
        if (file.LinkTarget is not null)
        {
            FileSystemInfo? target = file.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !target.Exists)
            {
                // A dangling link, or one to something that is not in the file system (a pipe seen through /proc).
                throw new IOException($"it is a symbolic link to {target?.FullName ?? file.LinkTarget}, which is not a file");
            }

            file = target;
        }

        if (file is FileInfo { Exists: true, Length: 0 })
        {
            throw new IOException("it is empty, or is not a regular file (a FIFO or a device)");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        byte[] buffer = new byte[MaxFileBytes + 1];
        int length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        if (length > MaxFileBytes)
        {
            throw new IOException($"it is larger than {MaxFileBytes / 1024} KiB; is it the right file?");
        }

        // As File.ReadAllText: UTF-8 unless a byte-order mark says otherwise.
        using var reader = new StreamReader(new MemoryStream(buffer, 0, length), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Parses JSON text.</summary>
    /// <param name="json">The text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="InvalidDataException">The text is not valid; the message names the JSON path.</exception>
    public static DesiredConfiguration Parse(string json, string source = "desired configuration")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not valid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            Require(root, JsonValueKind.Object, "$", source, "an object of device ids");
            var devices = new Dictionary<string, IReadOnlyDictionary<byte, IReadOnlyDictionary<ushort, int>>>(StringComparer.Ordinal);
            foreach (JsonProperty device in root.EnumerateObject())
            {
                string devicePath = $"$['{device.Name}']";
                if (device.Name.Length == 0)
                {
                    throw new InvalidDataException($"{source}: {devicePath}: a device id must not be empty.");
                }

                Require(device.Value, JsonValueKind.Object, devicePath, source, "an object of slots");
                var slots = new Dictionary<byte, IReadOnlyDictionary<ushort, int>>();
                foreach (JsonProperty slot in device.Value.EnumerateObject())
                {
                    string slotPath = $"{devicePath}['{slot.Name}']";
                    byte slotNumber = ParseKey<byte>(slot.Name, slotPath, source, "a slot number 0-255");
                    Require(slot.Value, JsonValueKind.Object, slotPath, source, "an object of registers");
                    var registers = new Dictionary<ushort, int>();
                    foreach (JsonProperty register in slot.Value.EnumerateObject())
                    {
                        string registerPath = $"{slotPath}['{register.Name}']";
                        ushort address = ParseKey<ushort>(register.Name, registerPath, source, "a register address 0-65535");
                        if (register.Value.ValueKind != JsonValueKind.Number || !register.Value.TryGetInt32(out int value))
                        {
                            throw new InvalidDataException($"{source}: {registerPath}: must be a 32-bit integer, not {Describe(register.Value)}.");
                        }

                        AddOnce(registers, address, value, registerPath, source, "register");
                    }

                    AddOnce(slots, slotNumber, registers, slotPath, source, "slot");
                }

                AddOnce(devices, device.Name, slots, devicePath, source, "device");
            }

            return new DesiredConfiguration(devices);
        }
    }

    /// <summary>
    /// A key given twice ("1" and "01" are one slot) would silently replace the first value: refused, naming both.
    /// </summary>
    private static void AddOnce<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, TValue value, string path, string source, string what)
        where TKey : notnull
    {
        if (!map.TryAdd(key, value))
        {
            throw new InvalidDataException($"{source}: {path}: {what} {key} is given twice; the second would silently replace the first.");
        }
    }

    private static T ParseKey<T>(string text, string path, string source, string expected)
        where T : IBinaryInteger<T>
    {
        if (!T.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out T? value))
        {
            throw new InvalidDataException($"{source}: {path}: the key '{text}' must be {expected}.");
        }

        return value;
    }

    private static void Require(JsonElement element, JsonValueKind kind, string path, string source, string expected)
    {
        if (element.ValueKind != kind)
        {
            throw new InvalidDataException($"{source}: {path}: must be {expected}, not {Describe(element)}.");
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        _ => "null",
    };
}
