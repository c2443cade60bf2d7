namespace Mcp.Frames.FirmwareSim.Definition;

/// <summary>One entry of a device definition's <c>modules</c> array: the fields every module has, and its type's own settings.</summary>
public sealed class ModuleDefinition
{
    internal ModuleDefinition(byte slot, string type, string name, byte? version, ushort? typeCode, System.Text.Json.JsonElement element, string path)
    {
        Slot = slot;
        Type = type;
        Name = name;
        Version = version;
        TypeCode = typeCode;
        Element = element;
        Path = path;
    }

    /// <summary>The slot (0–255), unique in the device.</summary>
    public byte Slot { get; }

    /// <summary>The module type's name, such as <c>relay</c>.</summary>
    public string Type { get; }

    /// <summary>The module's name as HELLO lists it.</summary>
    public string Name { get; }

    /// <summary>The module version HELLO reports, if the file sets one (otherwise the type's own).</summary>
    public byte? Version { get; }

    /// <summary>The type code HELLO reports, if the file overrides the type's own.</summary>
    public ushort? TypeCode { get; }

    /// <summary>The JSON path of this entry, such as <c>$.modules[2]</c>.</summary>
    public string Path { get; }

    /// <summary>The entry's JSON (an independent clone).</summary>
    internal System.Text.Json.JsonElement Element { get; }

    /// <summary>A fresh reader of the entry's type-specific settings (the common fields are already marked as read).</summary>
    /// <returns>The settings.</returns>
    public DefinitionObject CreateSettings()
    {
        var settings = new DefinitionObject(Element, Path);
        settings.MarkRead("slot", "type", "name", "version", "typeCode");
        return settings;
    }
}
