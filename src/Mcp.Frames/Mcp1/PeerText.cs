using System.Globalization;
using System.Text;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// Makes text that came from a peer (a device id, module and register names, a status message) safe to write to a
/// log, a console or a message: control characters, invisible format characters (such as the bidirectional overrides
/// and the tag characters) and line or paragraph separators are written as <c>\uXXXX</c> (<c>\UXXXXXXXX</c> above
/// U+FFFF), so that a peer can neither forge log lines, nor send terminal escapes, nor make text read otherwise than it
/// is stored. A backslash that would otherwise read as the start of such an escape is written twice, so that what
/// is shown reads back as exactly one text (<c>\\</c> a backslash, <c>\uXXXX</c> and <c>\UXXXXXXXX</c> a character,
/// any other backslash itself). Characters that merely look alike (combining marks, look-alike letters, other
/// spaces) are shown as they are.
/// </summary>
/// <remarks>
/// The messages of this library hold peer text exactly as it was received (<see cref="Messages.DeviceInfo.DeviceId"/>
/// is the device's own id, byte for byte): escape it where it is shown. This library's own log lines and exception
/// messages already do. Text with nothing to escape is returned as it is, without allocating.
/// </remarks>
public static class PeerText
{
    /// <summary>Returns <paramref name="text"/> with every character that could change how it displays written as an escape.</summary>
    /// <param name="text">Text from a peer; <see langword="null"/> gives <see langword="null"/>.</param>
    /// <returns>The text to show.</returns>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public static string? Escape(string? text)
    {
        if (text is null)
        {
            return null;
        }

        int i = 0;
        while (i < text.Length && Classify(text, i, out int length) == Kind.Safe)
        {
            i += length;
        }

        if (i == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, i);
        while (i < text.Length)
        {
            switch (Classify(text, i, out int length))
            {
                case Kind.Safe:
                    escaped.Append(text, i, length);
                    break;
                case Kind.Backslash:
                    escaped.Append('\\').Append('\\');
                    break;
                default:
                    int codePoint = length == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i];
                    escaped.Append(codePoint > 0xFFFF ? "\\U" : "\\u")
                        .Append(codePoint.ToString(codePoint > 0xFFFF ? "x8" : "x4", CultureInfo.InvariantCulture));
                    break;
            }

            i += length;
        }

        return escaped.ToString();
    }

    private enum Kind
    {
        Safe,
        Escaped,
        Backslash,
    }

    /// <summary>What the character (or surrogate pair) at <paramref name="index"/> is written as, and how many chars it takes.</summary>
    private static Kind Classify(string text, int index, out int length)
    {
        char c = text[index];
        if (c == '\\')
        {
            length = 1;
            int next = index + 1;
            bool readsAsEscape = next < text.Length
                && (text[next] is '\\' or 'u' or 'U' || Classify(text, next, out _) == Kind.Escaped);
            return readsAsEscape ? Kind.Backslash : Kind.Safe;
        }

        UnicodeCategory category;
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[index + 1]));
        }
        else
        {
            length = 1;
            category = char.GetUnicodeCategory(c); // a lone surrogate is Surrogate: escaped
        }

        return category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate ? Kind.Escaped : Kind.Safe;
    }
}
