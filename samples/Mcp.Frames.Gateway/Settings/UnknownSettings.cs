using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace Mcp.Frames.Gateway.Settings;

/// <summary>
/// Finds configuration keys that no setting takes (a typo such as <c>Gateway:Links:0:Tcp:Hots</c>), and values that
/// do not convert to their setting's type, by walking the configuration section beside the settings types. Each is
/// reported with its full configuration path. The values matter inside lists: there the binder drops an entry with a
/// value it cannot convert without a word, so a link with <c>Port=abc</c> would simply not exist.
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
        bool hasChildren = child.GetChildren().Any();
        if (IsSection(type))
        {
            if (!hasChildren && !string.IsNullOrEmpty(child.Value))
            {
                errors.Add($"{path}: {(isEntry ? "an entry" : "this setting")} is a section of settings, not the value '{child.Value}'.");
                return;
            }

            Find(child, type, path, errors);
        }
        else if (hasChildren)
        {
            errors.Add($"{path}: {(isEntry ? "an entry" : "this setting")} takes a single value, not a section.");
        }
        else if (child.Value is { } value && type != typeof(string) && !(value.Length == 0 && Nullable.GetUnderlyingType(type) is not null) && !Converts(value, type))
        {
            errors.Add($"{path}: '{value}' is not {Describe(type)}.");
        }
    }

    /// <summary>Whether the binder can convert <paramref name="value"/> to <paramref name="type"/> (it uses the same converters).</summary>
    private static bool Converts(string value, Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            _ = TypeDescriptor.GetConverter(target).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception)
        {
            return false; // converters throw various types (FormatException, ArgumentException, an inner IndexOutOfRange for '')
        }
    }

    private static string Describe(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        return target switch
        {
            _ when target == typeof(int) => $"a whole number from {int.MinValue} to {int.MaxValue}",
            _ when target == typeof(bool) => "true or false",
            _ when target.IsEnum => $"one of {string.Join(", ", Enum.GetNames(target))}",
            _ => $"a valid {target.Name}",
        };
    }

    private static bool IsSection(Type type) =>
        ListElementType(type) is not null || (type.IsClass && type != typeof(string));

    private static Type? ListElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;
}
