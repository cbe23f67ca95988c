namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// What a <c>Split</c> pre-tokenizer or a <c>Replace</c> normalizer/decoder looks for: <c>{"String": "…"}</c> (the
/// literal text) or <c>{"Regex": "…"}</c>.
/// </summary>
internal sealed class TextPattern
{
    readonly string? literal;
    readonly CodePointRegex? regex;
    readonly string origin;

    TextPattern(string? literal, CodePointRegex? regex, string origin) => (this.literal, this.regex, this.origin) = (literal, regex, origin);

    /// <summary>Reads the pattern object <paramref name="node"/>.</summary>
    public static TextPattern Read(JsonNode node)
    {
        node.OnlyFields("String", "Regex");
        string origin = $"{node.File}: {node.Where}";
        if (node.Child("String") is { } literal) return new TextPattern(literal.AsString(), null, origin);
        if (node.Child("Regex") is not { } regex) throw node.Error("has neither \"String\" nor \"Regex\"");
        string pattern = regex.AsString();
        try { return new TextPattern(null, new CodePointRegex(pattern), origin); }
        catch (ArgumentException e)
        {
            throw regex.Error($"regex {JsonNode.Quote(pattern)} is not supported: .NET cannot parse it ({JsonNode.Quote(e.Message)})");
        }
    }

    /// <summary>Non-overlapping matches in <paramref name="text"/>, left to right, as (start, end).</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        if (regex is not null)
        {
            try { return regex.Matches(text); }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                throw new InvalidDataException($"{origin}: regex {JsonNode.Quote(regex.Pattern)} took too long on a text of {text.Length} chars");
            }
        }
        var found = new List<(int, int)>();
        // HF's str pattern matches nothing when empty.
        if (literal!.Length == 0) return found;
        for (int at = text.IndexOf(literal, StringComparison.Ordinal); at >= 0; at = text.IndexOf(literal, at + literal.Length, StringComparison.Ordinal))
            found.Add((at, at + literal.Length));
        return found;
    }

    /// <summary>Replaces every match with <paramref name="content"/>.</summary>
    public string Replace(string text, string content)
    {
        var matches = Matches(text);
        if (matches.Count == 0) return text;
        var result = new System.Text.StringBuilder(text.Length);
        int at = 0;
        foreach (var (start, end) in matches)
        {
            result.Append(text, at, start - at).Append(content);
            at = end;
        }
        return result.Append(text, at, text.Length - at).ToString();
    }
}
