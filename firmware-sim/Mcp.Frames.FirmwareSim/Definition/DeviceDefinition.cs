using System.Text.Json;
using Mcp.Frames.FirmwareSim.Faults;

namespace Mcp.Frames.FirmwareSim.Definition;

/// <summary>
/// A simulated device as described by a JSON definition file (firmware-sim/README.md, "Device definition"): identity,
/// payload limit, modules and faults. <see cref="Parse"/> checks the common fields; each module type checks its own
/// settings when the device is built (<see cref="Device.SimDevice"/>), still before anything is served.
/// </summary>
public sealed class DeviceDefinition
{
    /// <summary>The smallest device payload limit: enough for every fixed-size answer and a useful READ.</summary>
    public const int MinMaxPayload = 32;

    private static readonly Lazy<DeviceDefinition> BuiltInDefinition = new(() => Parse(BuiltInDevice.Json, "built-in device"));

    private DeviceDefinition(string deviceId, Version firmware, int maxPayload, ulong seed, IReadOnlyList<ModuleDefinition> modules, FaultSettings faults, string? source)
    {
        DeviceId = deviceId;
        Firmware = firmware;
        MaxPayload = maxPayload;
        Seed = seed;
        Modules = modules;
        Faults = faults;
        Source = source;
    }

    /// <summary>The device with one module of each built-in type, used when no definition file is given.</summary>
    public static DeviceDefinition BuiltIn => BuiltInDefinition.Value;

    /// <summary>The device's id (HELLO <c>deviceId</c>).</summary>
    public string DeviceId { get; }

    /// <summary>The firmware version (HELLO <c>fwMajor.fwMinor.fwPatch</c>).</summary>
    public Version Firmware { get; }

    /// <summary>The device's payload limit (HELLO <c>maxPayload</c>), 32–65535.</summary>
    public int MaxPayload { get; }

    /// <summary>The seed of the simulated sensors' noise (not of the faults: see <see cref="FaultSettings.Seed"/>).</summary>
    public ulong Seed { get; }

    /// <summary>The modules, in file order.</summary>
    public IReadOnlyList<ModuleDefinition> Modules { get; }

    /// <summary>The faults the file asks for (<see cref="FaultSettings.None"/> when it has none).</summary>
    public FaultSettings Faults { get; }

    /// <summary>Where the definition came from (a file path), for messages.</summary>
    public string? Source { get; }

    /// <summary>Reads and checks a definition file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="DefinitionException">The file cannot be read or is invalid; the message names the file and the JSON path.</exception>
    public static DeviceDefinition Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new DefinitionException($"cannot be read: {ex.Message}", "$", path, ex);
        }

        return Parse(json, path);
    }

    /// <summary>Parses and checks a definition.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <returns>The definition.</returns>
    /// <exception cref="DefinitionException">The JSON is malformed or a field is invalid; the message names the JSON path.</exception>
    public static DeviceDefinition Parse(string json, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException ex)
        {
            string where = ex.LineNumber is { } line ? $" at line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw new DefinitionException($"is not valid JSON{where}: {FirstSentence(ex.Message)}", ex.Path ?? "$", source, ex);
        }

        using (document)
        {
            try
            {
                return Read(new DefinitionObject(document.RootElement, "$"), source);
            }
            catch (DefinitionException ex) when (source is not null && ex.Source is null)
            {
                throw ex.WithSource(source);
            }
        }
    }

    private static DeviceDefinition Read(DefinitionObject root, string? source)
    {
        string deviceId = root.GetString("deviceId");
        Version firmware = ReadFirmware(root);
        int maxPayload = (int)root.GetInteger("maxPayload", 256, MinMaxPayload, ushort.MaxValue);
        ulong seed = (ulong)root.GetInteger("seed", 1, 0, long.MaxValue);
        IReadOnlyList<DefinitionObject> entries = root.GetOptionalObjectArray("modules", 1, 255) ?? throw root.Error("modules", "is required (an array of 1 to 255 modules)");
        var modules = new List<ModuleDefinition>(entries.Count);
        var slots = new Dictionary<byte, string>();
        foreach (DefinitionObject entry in entries)
        {
            byte slot = (byte)entry.GetInteger("slot", 0, 255);
            if (slots.TryGetValue(slot, out string? other))
            {
                throw entry.Error("slot", $"slot {slot} is already used by {other}");
            }

            slots[slot] = entry.Path;
            string type = entry.GetString("type", 64);
            string name = entry.GetString("name");
            byte? version = entry.GetOptionalInteger("version", 0, 255) is { } v ? (byte)v : null;
            ushort? typeCode = entry.GetOptionalInteger("typeCode", 0, ushort.MaxValue) is { } t ? (ushort)t : null;
            modules.Add(new ModuleDefinition(slot, type, name, version, typeCode, entry.CloneElement(), entry.Path));
        }

        FaultSettings faults = root.GetOptionalObject("faults") is { } f ? FaultDefinitionReader.Read(f) : FaultSettings.None;
        root.EnsureNoUnknownProperties();
        return new DeviceDefinition(deviceId, firmware, maxPayload, seed, modules, faults, source);
    }

    private static Version ReadFirmware(DefinitionObject root)
    {
        string text = root.GetString("firmware", 32);
        string[] parts = text.Split('.');
        if (parts.Length != 3 || !parts.All(p => byte.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            throw root.Error("firmware", $"must be MAJOR.MINOR.PATCH with each part from 0 to 255; got \"{text}\"");
        }

        return new Version(byte.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), byte.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), byte.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }
}
