using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Mcp.Frames.Mcp1;
using NUnit.Framework;

namespace Mcp.Frames.Tests.Connections;

/// <summary>
/// FsCheck properties of <see cref="PeerText.Escape"/> (fixed replay seed): what it writes shows nothing that changes
/// the display, and reads back as exactly one text, so two different texts never show alike.
/// </summary>
public class PeerTextPropertyTests
{
    private static readonly Config Seeded = Config.QuickThrowOnFailure.WithReplay(20261208UL, 4099UL).WithMaxTest(5000);

    /// <summary>Texts built mostly from the characters the escaping is about, and any UTF-16 code unit besides.</summary>
    private static readonly Arbitrary<string> Texts = Gen.OneOf(
            Gen.Elements("\\", "u", "U", "0", "a", "é", "\n", "\u001b", "\u007f", "\u009b", "\u202E", "\u200B", "\u2028",
                "\U000E0041", "\U000E0001", "\U0001D173", "\U00013430", "\U0001F600", "\U00010000", "\uD800", "\uDC00",
                "\\u0009", "\\U000e0041"),
            Gen.Choose(0x10000, 0x10FFFF).Select(char.ConvertFromUtf32),
            Gen.Choose(0, 0xFFFF).Select(c => ((char)c).ToString()))
        .ArrayOf()
        .Select(pieces => string.Concat(pieces))
        .ToArbitrary();

    [Test]
    public void Escaped_text_holds_no_character_that_changes_the_display()
    {
        Check.One(Seeded, Prop.ForAll(Texts, text => ShowsSafely(PeerText.Escape(text))));
    }

    [Test]
    public void Escaped_text_reads_back_as_the_text_it_came_from()
    {
        Check.One(Seeded, Prop.ForAll(Texts, text => Unescape(PeerText.Escape(text)) == text));
    }

    /// <summary>No control, format, line or paragraph separator character (by code point) and no lone surrogate.</summary>
    private static bool ShowsSafely(string shown)
    {
        for (int i = 0; i < shown.Length; i++)
        {
            char c = shown[i];
            UnicodeCategory category;
            if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1]))
            {
                category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, shown[++i]));
            }
            else
            {
                category = char.GetUnicodeCategory(c);
            }

            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The reading the escaping promises: <c>\\</c>, <c>\uXXXX</c> and <c>\UXXXXXXXX</c> are escapes; any other backslash is itself.</summary>
    private static string Unescape(string shown)
    {
        var text = new StringBuilder(shown.Length);
        for (int i = 0; i < shown.Length; i++)
        {
            if (shown[i] == '\\' && i + 1 < shown.Length)
            {
                char next = shown[i + 1];
                if (next == '\\')
                {
                    text.Append('\\');
                    i++;
                    continue;
                }

                int digits = next == 'u' ? 4 : next == 'U' ? 8 : 0;
                if (digits > 0 && shown.Length - (i + 2) >= digits
                    && int.TryParse(shown.AsSpan(i + 2, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int codePoint)
                    && codePoint is >= 0 and <= 0x10FFFF)
                {
                    text.Append(codePoint > 0xFFFF ? char.ConvertFromUtf32(codePoint) : ((char)codePoint).ToString());
                    i += 1 + digits;
                    continue;
                }
            }

            text.Append(shown[i]);
        }

        return text.ToString();
    }
}
