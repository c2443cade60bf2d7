using System.Text;

namespace Mcp.Frames.Tool.Cli;

/// <summary>
/// Hex strings as people type them: <c>5A0201</c>, <c>5A 02 01</c>, <c>5a:02:01</c>, <c>0x5A,0x02</c>. Errors give the
/// 1-based position of the offending character.
/// </summary>
internal static class HexText
{
    /// <summary>Parses hex bytes.</summary>
    /// <param name="text">The text.</param>
    /// <param name="bytes">The bytes.</param>
    /// <param name="error">What is wrong and where, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the text is hex bytes.</returns>
    public static bool TryParse(string text, out byte[] bytes, out string? error)
    {
        var result = new List<byte>(text.Length / 2);
        bytes = [];
        error = null;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (IsSeparator(c))
            {
                i++;
                continue;
            }

            // A 0x prefix at the start of a group: "0x5A 0x02".
            if (c == '0' && i + 1 < text.Length && (text[i + 1] is 'x' or 'X') && (i == 0 || IsSeparator(text[i - 1])))
            {
                i += 2;
                if (i >= text.Length || !Uri.IsHexDigit(text[i]))
                {
                    error = $"bad hex at position {i + 1}: '0x' is not followed by hex digits";
                    return false;
                }

                continue;
            }

            if (!Uri.IsHexDigit(c))
            {
                error = $"bad hex at position {i + 1}: '{c}' is not a hex digit";
                return false;
            }

            if (i + 1 < text.Length && !Uri.IsHexDigit(text[i + 1]) && !IsSeparator(text[i + 1]))
            {
                error = $"bad hex at position {i + 2}: '{text[i + 1]}' is not a hex digit";
                return false;
            }

            if (i + 1 >= text.Length || !Uri.IsHexDigit(text[i + 1]))
            {
                error = $"bad hex at position {i + 1}: the digit '{c}' stands alone; every byte takes two hex digits";
                return false;
            }

            result.Add((byte)((Uri.FromHex(c) << 4) | Uri.FromHex(text[i + 1])));
            i += 2;
        }

        bytes = [.. result];
        return true;
    }

    /// <summary>Bytes as <c>5A 02 01</c>.</summary>
    public static string Spaced(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        var text = new StringBuilder((bytes.Length * 3) - 1);
        foreach (byte b in bytes)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(HexDigits[b >> 4]).Append(HexDigits[b & 0xF]);
        }

        return text.ToString();
    }

    /// <summary>Bytes as <c>5A0201</c> (for JSON).</summary>
    public static string Compact(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    private const string HexDigits = "0123456789ABCDEF";

    private static bool IsSeparator(char c) => char.IsWhiteSpace(c) || c is ':' or '-' or ',' or '_';
}
