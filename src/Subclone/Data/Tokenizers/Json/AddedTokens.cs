namespace Subclone.Data.Tokenizers.Json;

/// <summary>One entry of <c>added_tokens</c>: text matched before the model sees the input, always one token.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">The text it stands for.</param>
/// <param name="Special">Special tokens (BOS, EOS, chat markers) are dropped by a decode that skips them.</param>
/// <param name="Normalized">Matched in the normalized text rather than the raw input.</param>
/// <param name="LeftStrip">Takes the white space before it.</param>
/// <param name="RightStrip">Takes the white space after it.</param>
/// <param name="SingleWord">Only matches with no letter or digit on either side.</param>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized, bool LeftStrip, bool RightStrip, bool SingleWord)
{
    /// <summary>Reads one item of <c>added_tokens</c>.</summary>
    public static AddedToken Read(JsonNode node)
    {
        node.OnlyFields("id", "content", "special", "normalized", "lstrip", "rstrip", "single_word");
        string content = node.Required("content").AsString();
        if (content.Length == 0) throw node.Error("content is empty");
        bool special = node.Bool("special", false);
        // HF's default: special tokens are matched in the raw text, others after normalization.
        return new AddedToken(node.Required("id").AsId(), content, special, node.Bool("normalized", !special),
            node.Bool("lstrip", false), node.Bool("rstrip", false), node.Bool("single_word", false));
    }
}

/// <summary>
/// Finds added tokens in text as HF's AddedVocabulary does: leftmost-longest matching (its Aho-Corasick automaton),
/// a <see cref="AddedToken.SingleWord"/> token skipped inside a word, <see cref="AddedToken.LeftStrip"/> and
/// <see cref="AddedToken.RightStrip"/> widening the match over white space.
/// </summary>
internal sealed class AddedTokenMatcher
{
    sealed class Node
    {
        public readonly Dictionary<char, Node> Next = [];
        public AddedToken? Token;
    }

    readonly Node root = new();

    /// <summary>A matcher for <paramref name="tokens"/>, each found by <paramref name="patternOf"/> (its content, or
    /// its content normalized).</summary>
    public AddedTokenMatcher(IEnumerable<AddedToken> tokens, Func<AddedToken, string> patternOf)
    {
        foreach (var token in tokens)
        {
            string pattern = patternOf(token);
            if (pattern.Length == 0) continue;
            var node = root;
            foreach (char c in pattern)
            {
                if (!node.Next.TryGetValue(c, out var child)) node.Next[c] = child = new Node();
                node = child;
            }
            // Two tokens with the same text: the first listed wins, as in HF's vocabulary.
            node.Token ??= token;
        }
    }

    /// <summary>Whether there is anything to find.</summary>
    public bool IsEmpty => root.Next.Count == 0;

    /// <summary>The stretches of <paramref name="text"/>: (start, end, the added token or null for plain text).</summary>
    public List<(int Start, int End, AddedToken? Token)> Split(string text, Func<AddedToken, bool> skip)
    {
        var parts = new List<(int, int, AddedToken?)>();
        int done = 0;
        for (int at = 0; at < text.Length;)
        {
            var (token, end) = LongestAt(text, at);
            if (token is null)
            {
                at++;
                continue;
            }
            // A skipped match still hides the text it covers, as in HF's iteration over non-overlapping matches.
            if (skip(token) || token.SingleWord && !StandsAlone(text, at, end))
            {
                at = end;
                continue;
            }
            int start = at;
            if (token.LeftStrip) while (start > done && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RightStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (done < start) parts.Add((done, start, null));
            parts.Add((start, end, token));
            done = at = end;
        }
        if (done < text.Length) parts.Add((done, text.Length, null));
        return parts;
    }

    (AddedToken? Token, int End) LongestAt(string text, int at)
    {
        var node = root;
        (AddedToken? Token, int End) best = (null, at);
        for (int i = at; i < text.Length && node.Next.TryGetValue(text[i], out node); i++)
            if (node.Token is not null) best = (node.Token, i + 1);
        return best;
    }

    static bool StandsAlone(string text, int start, int end) =>
        (start == 0 || !char.IsLetterOrDigit(text[start - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end]));
}
