namespace Subclone.Data.Tokenizers.Json;

/// <summary>What a split does with the text it matched (HF's <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>Cuts a piece of text at pattern matches the way HF's <c>NormalizedString::split</c> does.</summary>
internal static class Splitter
{
    /// <summary>Reads a behavior name as the file spells it.</summary>
    public static SplitBehavior ReadBehavior(JsonNode node) => node.AsString() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var other => throw node.Error($"split behavior \"{JsonNode.Quote(other)}\" is not supported"),
    };

    /// <summary>The non-empty (start, end) ranges <paramref name="text"/> is cut into.</summary>
    public static List<(int Start, int End)> Split(string text, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert = false)
    {
        // Every stretch of the text, matched or not, in order.
        var parts = new List<(int Start, int End, bool Match)>();
        if (text.Length == 0) parts.Add((0, 0, false));
        int at = 0;
        foreach (var (start, end) in matches)
        {
            if (at != start) parts.Add((at, start, false));
            parts.Add((start, end, true));
            at = end;
        }
        if (text.Length > 0 && at != text.Length) parts.Add((at, text.Length, false));
        if (invert) parts = parts.Select(p => (p.Start, p.End, !p.Match)).ToList();

        var merged = behavior switch
        {
            SplitBehavior.Removed => parts.Where(p => !p.Match).ToList(),
            SplitBehavior.Isolated => parts,
            SplitBehavior.MergedWithPrevious => MergeWithPrevious(parts),
            SplitBehavior.MergedWithNext => MergeWithNext(parts),
            _ => Contiguous(parts),
        };
        return merged.Where(p => p.End > p.Start).Select(p => (p.Start, p.End)).ToList();
    }

    // A match joins the piece before it; of several matches in a row only the first does (as HF).
    static List<(int Start, int End, bool Match)> MergeWithPrevious(List<(int Start, int End, bool Match)> parts)
    {
        var result = new List<(int Start, int End, bool Match)>();
        bool previousMatch = false;
        foreach (var part in parts)
        {
            if (part.Match && !previousMatch && result.Count > 0) result[^1] = (result[^1].Start, part.End, false);
            else result.Add((part.Start, part.End, part.Match && !previousMatch));
            previousMatch = part.Match;
        }
        return result;
    }

    // The mirror image: a match joins the piece after it.
    static List<(int Start, int End, bool Match)> MergeWithNext(List<(int Start, int End, bool Match)> parts)
    {
        var result = new List<(int Start, int End, bool Match)>();
        bool previousMatch = false;
        for (int i = parts.Count - 1; i >= 0; i--)
        {
            var part = parts[i];
            if (part.Match && !previousMatch && result.Count > 0) result[^1] = (part.Start, result[^1].End, false);
            else result.Add((part.Start, part.End, part.Match && !previousMatch));
            previousMatch = part.Match;
        }
        result.Reverse();
        return result;
    }

    // Runs of matches (and runs of non-matches) become one piece each.
    static List<(int Start, int End, bool Match)> Contiguous(List<(int Start, int End, bool Match)> parts)
    {
        var result = new List<(int Start, int End, bool Match)>();
        bool previousMatch = false;
        foreach (var part in parts)
        {
            if (part.Match == previousMatch && result.Count > 0) result[^1] = (result[^1].Start, part.End, false);
            else result.Add((part.Start, part.End, false));
            previousMatch = part.Match;
        }
        return result;
    }
}
