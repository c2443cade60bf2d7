namespace Mcp.Frames.FirmwareSim.Modules;

/// <summary>
/// A module type, registered by name in <see cref="SimModuleTypes"/> and named by a definition file's
/// <c>"type"</c> field. The built-in types (relay, temperature…) implement it too. Implement it to add a type, for
/// example one that wraps a real sensor from Iot.Device.Bindings.
/// </summary>
public interface ISimModuleType
{
    /// <summary>The name used in definition files, such as <c>relay</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Builds one module from its settings. Check the settings here and throw the exception made by
    /// <see cref="Definition.DefinitionObject.Error"/> for a bad one, so the message names its JSON path.
    /// </summary>
    /// <param name="context">The slot, name, settings and the device's services.</param>
    /// <returns>The module.</returns>
    SimModule Create(SimModuleContext context);
}
