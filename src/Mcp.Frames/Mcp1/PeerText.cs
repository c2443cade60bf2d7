using System.Globalization;
using System.Text;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// Makes text that came from a peer (a device id, module and register names, a status message) safe to write to a
/// log, a console or a message: control characters, invisible format characters (such as the bidirectional overrides)
/// and line or paragraph separators are written as <c>\uXXXX</c>, so that a peer can neither forge log lines, nor send
/// terminal escapes, nor make text read otherwise than it is stored.
/// </summary>
/// <remarks>
/// The messages of this library hold peer text exactly as it was received (<see cref="Messages.DeviceInfo.DeviceId"/>
/// is the device's own id, byte for byte): escape it where it is shown. This library's own log lines and exception
/// messages already do. Text without such characters is returned as it is, without allocating.
/// </remarks>
public static class PeerText
{
    /// <summary>Returns <paramref name="text"/> with every character that could change how it displays written as <c>\uXXXX</c>.</summary>
    /// <param name="text">Text from a peer; <see langword="null"/> gives <see langword="null"/>.</param>
    /// <returns>The text to show.</returns>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public static string? Escape(string? text)
    {
        if (text is null)
        {
            return null;
        }

        int first = IndexOfUnsafe(text);
        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (IsUnsafe(c))
            {
                escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static bool IsUnsafe(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static int IndexOfUnsafe(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
