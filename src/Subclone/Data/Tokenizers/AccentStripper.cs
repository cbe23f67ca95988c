using System.Globalization;
using System.Reflection;
using System.Text;

namespace Subclone.Data.Tokenizers;

/// <summary>
/// Unicode NFD followed by removal of nonspacing marks, i.e. BERT's accent stripping ("Café" → "Cafe").
/// </summary>
/// <remarks>
/// The project runs with InvariantGlobalization, where <see cref="string.Normalize(NormalizationForm)"/> silently
/// returns its input unchanged; so decompositions come from a generated table (AccentStripping.txt) instead.
/// </remarks>
public static class AccentStripper
{
    private static readonly Lazy<Dictionary<int, string>> Table = new(LoadTable);

    /// <paramref name="text"/> decomposed (NFD) with its nonspacing marks removed.
    public static string Strip(string text)
    {
        var table = Table.Value;
        var result = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) continue;
            if (table.TryGetValue(rune.Value, out string? stripped))
                result.Append(stripped);
            else if (!TryAppendHangulJamo(rune.Value, result))
                result.Append(rune.ToString());
        }
        return result.ToString();
    }

    // Hangul syllables decompose algorithmically (Unicode §3.12) into jamo, none of which are marks.
    private static bool TryAppendHangulJamo(int codePoint, StringBuilder result)
    {
        const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, VCount = 21, TCount = 28;
        int s = codePoint - SBase;
        if (s < 0 || s >= 19 * VCount * TCount) return false;
        result.Append((char)(LBase + s / (VCount * TCount)));
        result.Append((char)(VBase + s % (VCount * TCount) / TCount));
        if (s % TCount != 0) result.Append((char)(TBase + s % TCount));
        return true;
    }

    private static Dictionary<int, string> LoadTable()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Subclone.Data.Tokenizers.AccentStripping.txt")
            ?? throw new InvalidOperationException("AccentStripping.txt is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<int, string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int[] codePoints = line.Split(' ').Select(hex => int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            table[codePoints[0]] = string.Concat(codePoints.Skip(1).Select(char.ConvertFromUtf32));
        }
        return table;
    }
}
