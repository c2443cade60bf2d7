using System.Globalization;

namespace Mcp.Frames.Tool.Cli;

/// <summary>Numbers on the command line: decimal (<c>42</c>, <c>-7</c>) or hexadecimal (<c>0x2A</c>).</summary>
internal static class CliNumbers
{
    /// <summary>Parses a number and checks its range.</summary>
    /// <param name="text">The text given.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <param name="value">The value.</param>
    /// <param name="error">Why the text was refused (without the flag's name), or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the text is a number in range.</returns>
    public static bool TryParse(string text, long min, long max, out long value, out string? error)
    {
        value = 0;
        error = null;
        string t = text.Trim();
        bool parsed = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && t.Length > 2
            : long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (!parsed)
        {
            error = $"'{text}' is not a number (decimal, or hexadecimal with 0x)";
            return false;
        }

        if (value < min || value > max)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{text} is out of range ({Format(min)} to {Format(max)})");
            return false;
        }

        return true;
    }

    /// <summary>Parses a register value: a signed 32-bit integer, or up to 0xFFFFFFFF in hexadecimal (two's complement).</summary>
    /// <param name="text">The text given.</param>
    /// <param name="value">The value.</param>
    /// <param name="error">Why the text was refused, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the text is a valid value.</returns>
    public static bool TryParseInt32(string text, out int value, out string? error)
    {
        bool hex = text.Trim().StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (TryParse(text, hex ? 0 : int.MinValue, hex ? uint.MaxValue : int.MaxValue, out long wide, out error))
        {
            value = unchecked((int)wide);
            return true;
        }

        value = 0;
        return false;
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
