using System.Globalization;
using System.Text;

namespace Subclone.Data.Tokenizers;

/// <summary>
/// BERT's pre-tokenization (HF <c>BasicTokenizer</c>): clean control characters, isolate CJK ideographs, split on
/// whitespace, optionally lower-case and strip accents, then split off every punctuation character.
/// </summary>
/// <remarks>
/// HF also NFC-normalizes first; that is skipped (impossible under InvariantGlobalization) and only matters for
/// cased text with combining marks, since accent stripping decomposes anyway.
/// </remarks>
public static class BertBasicTokenizer
{
    /// <summary>The words and punctuation of <paramref name="text"/>, lower-cased and accent-stripped when <paramref name="lowerCase"/>.</summary>
    public static List<string> Split(string text, bool lowerCase)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) cleaned.Append(' ');
            else if (IsCjk(rune.Value)) cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else cleaned.Append(rune.ToString());
        }

        var words = new List<string>();
        foreach (string token in cleaned.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string word = lowerCase ? AccentStripper.Strip(token.ToLowerInvariant()) : token;
            var current = new StringBuilder();
            foreach (Rune rune in word.EnumerateRunes())
            {
                if (!IsPunctuation(rune))
                {
                    current.Append(rune.ToString());
                    continue;
                }
                if (current.Length > 0) words.Add(current.ToString());
                current.Clear();
                words.Add(rune.ToString());
            }
            if (current.Length > 0) words.Add(current.ToString());
        }
        return words;
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    // Tab, newline and carriage return are whitespace for BERT, every other C* category character is dropped.
    private static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r') && Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control
            or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    // All non-alphanumeric ASCII counts ("$", "^", "`" are not Unicode P* but BERT splits them), plus every P* category.
    private static bool IsPunctuation(Rune rune)
    {
        int c = rune.Value;
        if (c is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideographs blocks BERT's _is_chinese_char lists (not Hangul or kana).
    private static bool IsCjk(int c) =>
        c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
