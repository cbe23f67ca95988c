namespace Subclone.Data.Tokenizers.Json;

/// <summary>When SentencePiece-style tokenizers put the word marker ("▁") before the text.</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>
/// SentencePiece's whitespace handling as a pre-tokenizer: spaces become the replacement character ("▁"), one is put
/// before the text per <see cref="PrependScheme"/>, and with <c>split</c> each "▁" starts a new piece.
/// </summary>
internal sealed record MetaspacePreTokenizer(string Replacement, PrependScheme Prepend, bool SplitWords) : IPreTokenizer
{
    /// <summary>Reads the pre-tokenizer (or the <c>Metaspace</c> decoder, which has the same fields).</summary>
    public static MetaspacePreTokenizer Read(JsonNode node)
    {
        node.OnlyFields("type", "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep");
        // Files from before prepend_scheme existed say add_prefix_space instead.
        var scheme = node.Child("prepend_scheme") is { } given
            ? given.AsString() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                var other => throw given.Error($"prepend scheme \"{JsonNode.Quote(other)}\" is not supported"),
            }
            : node.Bool("add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
        return new MetaspacePreTokenizer(node.Char("replacement"), scheme, node.Bool("split", true));
    }

    public IEnumerable<Piece> Split(Piece piece)
    {
        string text = piece.Text.Replace(" ", Replacement);
        bool prepend = Prepend == PrependScheme.Always || Prepend == PrependScheme.First && piece.AtStart;
        if (prepend && !text.StartsWith(Replacement, StringComparison.Ordinal)) text = Replacement + text;
        piece = piece with { Text = text };
        if (!SplitWords) return [piece];
        var marks = new List<(int Start, int End)>();
        for (int at = text.IndexOf(Replacement, StringComparison.Ordinal); at >= 0; at = text.IndexOf(Replacement, at + Replacement.Length, StringComparison.Ordinal))
            marks.Add((at, at + Replacement.Length));
        return piece.Cut(Splitter.Split(text, marks, SplitBehavior.MergedWithNext));
    }
}
