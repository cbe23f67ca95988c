using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// A regular expression from a <c>tokenizer.json</c>, matched as Hugging Face's tokenizers matches it: with Oniguruma,
/// which sees one character per Unicode code point. .NET's Regex sees UTF-16 units, so a character outside the BMP
/// (an emoji, a CJK Extension B ideograph, a mathematical letter) would be two "surrogate" characters that are
/// neither <c>\p{L}</c> nor <c>\p{N}</c>: Llama 3's <c>[^\r\n\p{L}\p{N}]?\p{L}+</c> would then split "𝐀b" where
/// Oniguruma keeps it whole. So each such code point is matched as a stand-in BMP character of the same Unicode
/// category, and match positions are mapped back to the real string.
/// </summary>
/// <remarks>
/// The patterns Llama 3, Qwen and GPT-2 use (<c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c>, <c>(?i:'s|…)</c>, <c>(?!\S)</c>,
/// <c>{1,3}</c>) mean the same in both engines: both backtrack, take the first alternative that matches, and
/// their <c>\s</c> is the same set (Unicode White_Space). Oniguruma syntax that .NET cannot parse (possessive
/// quantifiers, <c>\h</c>, script names such as <c>\p{Han}</c>) is refused when the file is loaded.
/// </remarks>
internal sealed class CodePointRegex
{
    // Real patterns take microseconds per match; a pathological one (nested quantifiers) is refused, not waited for.
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    static readonly char[] StandIns = FindStandIns();

    readonly Regex regex;

    /// <summary>Compiles <paramref name="pattern"/>; throws <see cref="ArgumentException"/> if .NET cannot parse it.</summary>
    public CodePointRegex(string pattern) => regex = new Regex(pattern, RegexOptions.CultureInvariant, Timeout);

    /// <summary>The pattern as written in the file.</summary>
    public string Pattern => regex.ToString();

    /// <summary>Non-overlapping matches, left to right, as (start, end) UTF-16 indices into <paramref name="text"/>.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var found = new List<(int, int)>();
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            for (var m = regex.Match(text); m.Success; m = m.NextMatch()) found.Add((m.Index, m.Index + m.Length));
            return found;
        }
        var (shadow, original) = Shadow(text);
        for (var m = regex.Match(shadow); m.Success; m = m.NextMatch()) found.Add((original[m.Index], original[m.Index + m.Length]));
        return found;
    }

    // One char per code point; original[i] is where shadow char i starts in text (original[^1] = text.Length).
    static (string Shadow, int[] Original) Shadow(string text)
    {
        var shadow = new StringBuilder(text.Length);
        var original = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            original.Add(i);
            // Callers pass well-formed text (TokenizerPipeline replaces lone surrogates first).
            var rune = Rune.GetRuneAt(text, i);
            shadow.Append(rune.IsBmp ? (char)rune.Value : StandIns[(int)Rune.GetUnicodeCategory(rune)]);
            i += rune.Utf16SequenceLength;
        }
        original.Add(text.Length);
        return (shadow.ToString(), [.. original]);
    }

    // For each category, a BMP character of it outside ASCII, so that it never equals a pattern's literal ('s, \r …).
    static char[] FindStandIns()
    {
        var standIns = new char[32];
        Array.Fill(standIns, '\uFFFD');
        var seen = new bool[32];
        for (int c = 0xFFFF; c >= 0xA1; c--)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            int category = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
            standIns[category] = (char)c;
            seen[category] = true;
        }
        return standIns;
    }
}
