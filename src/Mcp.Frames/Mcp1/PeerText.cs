using System.Globalization;
using System.Text;

namespace Mcp.Frames.Mcp1;

/// <summary>
/// Text that comes from a peer (device ids, module and register names, status messages) is shown in logs, on consoles
/// and in messages: control characters in it are written as <c>\uXXXX</c>, so that a peer cannot forge log lines or
/// send terminal escapes. Strings without control characters are returned as they are (no allocation).
/// </summary>
internal static class PeerText
{
    public static string Escape(string text)
    {
        int first = IndexOfControl(text);
        if (first < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsControl(c))
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

    private static int IndexOfControl(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
