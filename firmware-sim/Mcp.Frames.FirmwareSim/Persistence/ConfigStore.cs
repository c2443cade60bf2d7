using System.Buffers;
using System.Text.Json;
using Mcp.Frames.FirmwareSim.Definition;
using Microsoft.Extensions.Logging;

namespace Mcp.Frames.FirmwareSim.Persistence;

/// <summary>
/// Where the device's configuration (CONFIG_SET) lives: a state directory holding <c>config.json</c>, or memory only.
/// </summary>
/// <remarks>
/// <para>
/// A save writes the whole configuration to <c>config.json.tmp</c>, flushes it to disk (fsync), renames it over
/// <c>config.json</c> (atomic on POSIX file systems) and flushes the directory. A crash at any moment therefore leaves
/// either the old file or the new one, never a torn one; a leftover temporary file is deleted at the next start.
/// </para>
/// <para>The directory is locked (<c>sim.lock</c>) while a store is open, so two simulators never share it.</para>
/// </remarks>
internal sealed class ConfigStore : IDisposable
{
    public const string FileName = "config.json";
    public const string TempFileName = "config.json.tmp";
    public const string LockFileName = "sim.lock";
    private const int FormatVersion = 1;

    private readonly string? _directory;
    private readonly FileStream? _lock;
    private readonly ILogger _logger;

    private ConfigStore(string? directory, FileStream? lockFile, IReadOnlyDictionary<byte, StoredModuleConfig> loaded, ILogger logger)
    {
        _directory = directory;
        _lock = lockFile;
        Loaded = loaded;
        _logger = logger;
    }

    /// <summary>The configuration found at start (empty when there was none).</summary>
    public IReadOnlyDictionary<byte, StoredModuleConfig> Loaded { get; }

    /// <summary>The configuration file, or <see langword="null"/> for a memory-only store.</summary>
    public string? FilePath => _directory is null ? null : Path.Combine(_directory, FileName);

    /// <summary>Test hook: runs after the temporary file is durable and before it is renamed (throw to simulate a crash there).</summary>
    internal Action<string>? BeforeRename { get; set; }

    public static ConfigStore InMemory(ILogger logger) => new(null, null, new Dictionary<byte, StoredModuleConfig>(), logger);

    /// <summary>Opens (creating if needed) and locks a state directory and loads its configuration.</summary>
    /// <exception cref="StateDirectoryException">The directory cannot be used; the message says why.</exception>
    public static ConfigStore Open(string directory, ILogger logger)
    {
        string full = Path.GetFullPath(directory);
        FileStream lockFile;
        try
        {
            Directory.CreateDirectory(full);
            lockFile = new FileStream(Path.Combine(full, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && File.Exists(Path.Combine(full, LockFileName)))
        {
            throw new StateDirectoryException($"state directory {full} is in use by another simulator (its sim.lock is locked: {ex.Message})", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateDirectoryException($"state directory {full} cannot be used: {ex.Message}", ex);
        }

        try
        {
            string temp = Path.Combine(full, TempFileName);
            if (File.Exists(temp))
            {
                // A save was interrupted before its rename: the old config.json (if any) is still the valid one.
                SimLog.DiscardedTempFile(logger, temp);
                File.Delete(temp);
            }

            return new ConfigStore(full, lockFile, Load(Path.Combine(full, FileName)), logger);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Stores the whole configuration durably; returns only once it would survive a crash or power loss.</summary>
    /// <param name="modules">Every module's configuration.</param>
    /// <param name="deviceId">The device's id, recorded for people reading the file.</param>
    /// <exception cref="IOException">The file could not be written; the previous configuration is still in place.</exception>
    public void Save(IReadOnlyDictionary<byte, StoredModuleConfig> modules, string deviceId)
    {
        if (_directory is null)
        {
            return;
        }

        byte[] content = Serialize(modules, deviceId);
        string temp = Path.Combine(_directory, TempFileName);
        string target = Path.Combine(_directory, FileName);
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            file.Write(content);
            file.Flush(flushToDisk: true);
        }

        BeforeRename?.Invoke(temp);
        File.Move(temp, target, overwrite: true);
        NativeFile.SyncDirectory(_directory);
        SimLog.ConfigStored(_logger, target, content.Length);
    }

    public void Dispose() => _lock?.Dispose();

    internal static byte[] Serialize(IReadOnlyDictionary<byte, StoredModuleConfig> modules, string deviceId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("format", FormatVersion);
            json.WriteString("deviceId", deviceId);
            json.WriteStartArray("modules");
            foreach ((byte slot, StoredModuleConfig config) in modules.OrderBy(m => m.Key))
            {
                json.WriteStartObject();
                json.WriteNumber("slot", slot);
                json.WriteNumber("version", config.Version);
                json.WriteStartArray("values");
                foreach ((ushort register, int value) in config.Values.OrderBy(v => v.Key))
                {
                    json.WriteStartObject();
                    json.WriteNumber("register", register);
                    json.WriteNumber("value", value);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a configuration file; problems are reported with their JSON path.</summary>
    internal static Dictionary<byte, StoredModuleConfig> Load(string path)
    {
        var result = new Dictionary<byte, StoredModuleConfig>();
        if (!File.Exists(path))
        {
            return result;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = new DefinitionObject(document.RootElement, "$");
            _ = root.GetInteger("format", 1, FormatVersion);
            _ = root.GetOptionalString("deviceId");
            foreach (DefinitionObject module in root.GetOptionalObjectArray("modules", 0, 256) ?? [])
            {
                byte slot = (byte)module.GetInteger("slot", 0, 255);
                if (result.ContainsKey(slot))
                {
                    throw module.Error("slot", $"slot {slot} appears twice");
                }

                uint version = (uint)module.GetInteger("version", 0, uint.MaxValue);
                var values = new Dictionary<ushort, int>();
                foreach (DefinitionObject entry in module.GetOptionalObjectArray("values", 0, 65536) ?? [])
                {
                    ushort register = (ushort)entry.GetInteger("register", 0, ushort.MaxValue);
                    int value = (int)entry.GetInteger("value", int.MinValue, int.MaxValue);
                    if (!values.TryAdd(register, value))
                    {
                        throw entry.Error("register", $"register {register} appears twice");
                    }

                    entry.EnsureNoUnknownProperties();
                }

                module.EnsureNoUnknownProperties();
                result[slot] = new StoredModuleConfig(version, values);
            }

            root.EnsureNoUnknownProperties();
            return result;
        }
        catch (DefinitionException ex)
        {
            throw new StateDirectoryException($"stored configuration {path} is invalid: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new StateDirectoryException($"stored configuration {path} is not valid JSON (line {(ex.LineNumber ?? 0) + 1}): {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateDirectoryException($"stored configuration {path} cannot be read: {ex.Message}", ex);
        }
    }
}
