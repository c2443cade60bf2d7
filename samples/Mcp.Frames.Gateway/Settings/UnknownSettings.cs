using System.Globalization;
using System.Reflection;

namespace Mcp.Frames.Gateway.Settings;

/// <summary>
/// Finds configuration keys that no setting takes (a typo such as <c>Gateway:Links:0:Tcp:Hots</c>), by walking the
/// configuration section beside the settings types. Each is reported with its full configuration path.
/// </summary>
internal static class UnknownSettings
{
    public static void Find(IConfiguration section, Type type, string path, List<string> errors)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            string childPath = $"{path}:{child.Key}";
            if (ListElementType(type) is { } element)
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{childPath}: {path} is a list; its entries are numbered 0, 1, 2…");
                    continue;
                }

                Find(child, element, childPath, errors, isEntry: true);
                continue;
            }

            PropertyInfo? property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.SetMethod is not { IsPublic: true })
            {
                string known = string.Join(", ", type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name));
                errors.Add($"{childPath}: unknown setting (the settings here are {known}).");
                continue;
            }

            Find(child, property.PropertyType, childPath, errors, isEntry: false);
        }
    }

    private static void Find(IConfigurationSection child, Type type, string path, List<string> errors, bool isEntry)
    {
        if (IsSection(type))
        {
            Find(child, type, path, errors);
        }
        else if (child.GetChildren().Any())
        {
            errors.Add($"{path}: {(isEntry ? "an entry" : "this setting")} takes a single value, not a section.");
        }
    }

    private static bool IsSection(Type type) =>
        ListElementType(type) is not null || (type.IsClass && type != typeof(string));

    private static Type? ListElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;
}
