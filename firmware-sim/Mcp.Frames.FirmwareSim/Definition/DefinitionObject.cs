using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mcp.Frames.FirmwareSim.Definition;

/// <summary>
/// One JSON object of a device definition, read field by field. Every problem is reported as a
/// <see cref="DefinitionException"/> naming the field's JSON path; <see cref="EnsureNoUnknownProperties"/> reports
/// fields nobody read (typos such as <c>"ouputs"</c>). Module types read their settings through this class.
/// </summary>
public sealed class DefinitionObject
{
    private readonly JsonElement _element;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Wraps a JSON object.</summary>
    /// <param name="element">The element; it must stay valid while this object is used (clone it to keep it).</param>
    /// <param name="path">Its JSON path, such as <c>$.modules[0]</c>.</param>
    /// <exception cref="DefinitionException">The element is not an object.</exception>
    public DefinitionObject(JsonElement element, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new DefinitionException($"must be an object; got {Describe(element)}", path, null);
        }

        _element = element;
        Path = path;
    }

    /// <summary>This object's JSON path.</summary>
    public string Path { get; }

    /// <summary>The JSON path of one of this object's fields.</summary>
    /// <param name="name">The field's name.</param>
    /// <returns>The path, such as <c>$.modules[0].outputs</c>.</returns>
    public string PathOf(string name) => Child(Path, name);

    /// <summary>Whether the field is present (and not <c>null</c>). Marks it as known.</summary>
    /// <param name="name">The field's name.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Has(string name) => TryGet(name, out _);

    /// <summary>Marks fields as known without reading them (they were read elsewhere).</summary>
    /// <param name="names">The fields.</param>
    public void MarkRead(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names)
        {
            _read.Add(name);
        }
    }

    /// <summary>A new exception about one of this object's fields.</summary>
    /// <param name="name">The field (or <see langword="null"/> for the object itself).</param>
    /// <param name="problem">What is wrong.</param>
    /// <returns>The exception, to throw.</returns>
    public DefinitionException Error(string? name, string problem) => new(problem, name is null ? Path : PathOf(name), null);

    /// <summary>Reads a required string.</summary>
    /// <param name="name">The field.</param>
    /// <param name="maxUtf8Bytes">The longest value allowed, in UTF-8 bytes (255 for MCP/1 <c>str8</c> fields).</param>
    /// <returns>The value (not empty).</returns>
    public string GetString(string name, int maxUtf8Bytes = 255) =>
        GetOptionalString(name, maxUtf8Bytes) ?? throw Error(name, "is required (a string)");

    /// <summary>Reads an optional string.</summary>
    /// <param name="name">The field.</param>
    /// <param name="maxUtf8Bytes">The longest value allowed, in UTF-8 bytes.</param>
    /// <returns>The value, or <see langword="null"/> when absent.</returns>
    public string? GetOptionalString(string name, int maxUtf8Bytes = 255)
    {
        if (!TryGet(name, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw Error(name, $"must be a string; got {Describe(value)}");
        }

        string text = value.GetString()!;
        if (text.Length == 0)
        {
            throw Error(name, "must not be empty");
        }

        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > maxUtf8Bytes)
        {
            throw Error(name, $"is {bytes} UTF-8 bytes long; at most {maxUtf8Bytes} are allowed");
        }

        return text;
    }

    /// <summary>Reads an optional string that must be one of a fixed set.</summary>
    /// <param name="name">The field.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="allowed">The allowed values (compared exactly).</param>
    /// <returns>The value.</returns>
    public string GetChoice(string name, string defaultValue, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        string? value = GetOptionalString(name, 64);
        if (value is null)
        {
            return defaultValue;
        }

        if (Array.IndexOf(allowed, value) < 0)
        {
            throw Error(name, $"must be one of {string.Join(", ", allowed)}; got \"{value}\"");
        }

        return value;
    }

    /// <summary>Reads a required integer within a range.</summary>
    /// <param name="name">The field.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <returns>The value.</returns>
    public long GetInteger(string name, long min, long max) =>
        GetOptionalInteger(name, min, max) ?? throw Error(name, $"is required (an integer from {min} to {max})");

    /// <summary>Reads an optional integer within a range.</summary>
    /// <param name="name">The field.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <returns>The value.</returns>
    public long GetInteger(string name, long defaultValue, long min, long max) => GetOptionalInteger(name, min, max) ?? defaultValue;

    /// <summary>Reads an optional integer within a range.</summary>
    /// <param name="name">The field.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <returns>The value, or <see langword="null"/> when absent.</returns>
    public long? GetOptionalInteger(string name, long min, long max)
    {
        if (!TryGet(name, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Error(name, $"must be an integer from {min} to {max}; got {Describe(value)}");
        }

        if (!value.TryGetInt64(out long number))
        {
            throw Error(name, $"must be an integer from {min} to {max}; got {value.GetRawText()}");
        }

        if (number < min || number > max)
        {
            throw Error(name, $"must be from {min} to {max}; got {number}");
        }

        return number;
    }

    /// <summary>Reads an optional 32-bit register value.</summary>
    /// <param name="name">The field.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    public int GetInt32(string name, int defaultValue) => (int)GetInteger(name, defaultValue, int.MinValue, int.MaxValue);

    /// <summary>Reads an optional number within a range.</summary>
    /// <param name="name">The field.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <returns>The value.</returns>
    public double GetNumber(string name, double defaultValue, double min, double max)
    {
        if (!TryGet(name, out JsonElement value))
        {
            return defaultValue;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out double number) || !double.IsFinite(number))
        {
            throw Error(name, $"must be a number from {Format(min)} to {Format(max)}; got {Describe(value)}");
        }

        if (number < min || number > max)
        {
            throw Error(name, $"must be from {Format(min)} to {Format(max)}; got {Format(number)}");
        }

        return number;
    }

    /// <summary>Reads an optional probability (0 to 1).</summary>
    /// <param name="name">The field.</param>
    /// <returns>The value, 0 when absent.</returns>
    public double GetProbability(string name) => GetNumber(name, 0, 0, 1);

    /// <summary>Reads an optional duration in milliseconds (a non-negative integer).</summary>
    /// <param name="name">The field (by convention ending in <c>Ms</c>).</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <param name="min">The shortest allowed, in milliseconds.</param>
    /// <returns>The duration.</returns>
    public TimeSpan GetMilliseconds(string name, TimeSpan defaultValue, long min = 0) =>
        GetOptionalInteger(name, min, int.MaxValue) is { } ms ? TimeSpan.FromMilliseconds(ms) : defaultValue;

    /// <summary>Reads an optional boolean.</summary>
    /// <param name="name">The field.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The value.</returns>
    public bool GetBoolean(string name, bool defaultValue)
    {
        if (!TryGet(name, out JsonElement value))
        {
            return defaultValue;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"must be true or false; got {Describe(value)}"),
        };
    }

    /// <summary>Reads an optional nested object.</summary>
    /// <param name="name">The field.</param>
    /// <returns>The object, or <see langword="null"/> when absent.</returns>
    public DefinitionObject? GetOptionalObject(string name) =>
        TryGet(name, out JsonElement value) ? new DefinitionObject(value, PathOf(name)) : null;

    /// <summary>Reads an optional array of objects.</summary>
    /// <param name="name">The field.</param>
    /// <param name="minCount">The fewest entries allowed when present.</param>
    /// <param name="maxCount">The most entries allowed.</param>
    /// <returns>The entries, or <see langword="null"/> when absent.</returns>
    public IReadOnlyList<DefinitionObject>? GetOptionalObjectArray(string name, int minCount, int maxCount)
    {
        if (!TryGet(name, out JsonElement value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Error(name, $"must be an array; got {Describe(value)}");
        }

        int count = value.GetArrayLength();
        if (count < minCount || count > maxCount)
        {
            throw Error(name, $"must have {minCount} to {maxCount} entries; got {count}");
        }

        var items = new List<DefinitionObject>(count);
        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            items.Add(new DefinitionObject(item, $"{PathOf(name)}[{index}]"));
            index++;
        }

        return items;
    }

    /// <summary>Throws for the first field that was never read: a typo or a field this type does not have.</summary>
    /// <exception cref="DefinitionException">An unknown field is present.</exception>
    public void EnsureNoUnknownProperties()
    {
        foreach (JsonProperty property in _element.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                throw new DefinitionException("is not a known field here", PathOf(property.Name), null);
            }
        }
    }

    /// <summary>An independent copy of the object's JSON, valid after its document is disposed.</summary>
    internal JsonElement CloneElement() => _element.Clone();

    internal static string Child(string path, string name)
    {
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";
            }
        }

        return $"{path}.{name}";
    }

    internal static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);

    private bool TryGet(string name, out JsonElement value)
    {
        _read.Add(name);
        if (_element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }
}
