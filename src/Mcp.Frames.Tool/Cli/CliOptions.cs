using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Mcp.Frames.Tool.Cli;

/// <summary>Option factories whose errors name the flag and the value that was refused.</summary>
internal static class CliOptions
{
    /// <summary>An integer option (decimal or 0x hex) with a range.</summary>
    public static Option<int> Integer(string name, string helpName, string description, int min, int max, int? defaultValue = null, bool required = false)
    {
        var option = new Option<int>(name)
        {
            HelpName = helpName,
            Description = description,
            Required = required,
            CustomParser = result => ParseInteger(result, name, min, max),
        };
        if (defaultValue is { } value)
        {
            option.DefaultValueFactory = _ => value;
            option.Description += string.Create(CultureInfo.InvariantCulture, $" (default {value})");
        }

        return option;
    }

    /// <summary>A duration in seconds (fractions allowed), such as <c>--for 2.5</c>.</summary>
    public static Option<TimeSpan?> Seconds(string name, string description) => new(name)
    {
        HelpName = "SECONDS",
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 31_536_000)
            {
                return TimeSpan.FromSeconds(seconds);
            }

            result.AddError($"{name}: '{text}' is not a positive number of seconds (such as 5 or 0.5).");
            return null;
        },
    };

    /// <summary>A hex string option, such as <c>--payload "01 00 00"</c>.</summary>
    public static Option<byte[]> Hex(string name, string description) => new(name)
    {
        HelpName = "HEX",
        Description = description,
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (HexText.TryParse(text, out byte[] bytes, out string? error))
            {
                return bytes;
            }

            result.AddError($"{name}: {error} (in '{text}').");
            return [];
        },
    };

    private static int ParseInteger(ArgumentResult result, string name, int min, int max)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (CliNumbers.TryParse(text, min, max, out long value, out string? error))
        {
            return (int)value;
        }

        result.AddError($"{name}: {error}.");
        return 0;
    }
}
