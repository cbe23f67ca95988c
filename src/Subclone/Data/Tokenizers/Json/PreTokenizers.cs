namespace Subclone.Data.Tokenizers.Json;

/// <summary>A stretch of normalized text the model will see as one word (or that is still to be split).</summary>
/// <param name="Text">The text.</param>
/// <param name="AtStart">Whether it begins where the input text begins (Metaspace's <c>prepend_scheme: first</c>).</param>
internal readonly record struct Piece(string Text, bool AtStart)
{
    /// <summary>The non-empty parts of this piece at <paramref name="ranges"/>.</summary>
    public IEnumerable<Piece> Cut(List<(int Start, int End)> ranges)
    {
        var (text, atStart) = (Text, AtStart);
        return ranges.Select(r => new Piece(text[r.Start..r.End], atStart && r.Start == 0));
    }
}

/// <summary>A <c>pre_tokenizer</c> of a <c>tokenizer.json</c>: splits pieces into smaller ones (and may rewrite them).</summary>
internal interface IPreTokenizer
{
    /// <summary>The pieces <paramref name="piece"/> becomes.</summary>
    IEnumerable<Piece> Split(Piece piece);
}

/// <summary>The pre-tokenizer types Subclone implements, read from their JSON.</summary>
internal static class PreTokenizers
{
    // GPT-2's pattern, which ByteLevel applies when use_regex is true.
    const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Reads <paramref name="node"/>; an unknown type is refused naming it.</summary>
    public static IPreTokenizer Read(JsonNode node) => node.Type switch
    {
        "Sequence" => new SequencePreTokenizer(node.OnlyFields("type", "pretokenizers").Required("pretokenizers").Items().Select(Read).ToArray()),
        "Split" => new SplitPreTokenizer(
            TextPattern.Read(node.OnlyFields("type", "pattern", "behavior", "invert").Required("pattern")),
            Splitter.ReadBehavior(node.Required("behavior")), node.Bool("invert", false)),
        "ByteLevel" => new ByteLevelPreTokenizer(
            node.OnlyFields("type", "add_prefix_space", "trim_offsets", "use_regex").Bool("add_prefix_space", true),
            node.Bool("use_regex", true) ? new CodePointRegex(Gpt2Pattern) : null),
        "Metaspace" => MetaspacePreTokenizer.Read(node),
        "Digits" => new DigitsPreTokenizer(node.OnlyFields("type", "individual_digits").Bool("individual_digits", false)),
        var other => throw node.Error($"pre-tokenizer type \"{JsonNode.Quote(other)}\" is not supported"),
    };
}

/// <summary>Each pre-tokenizer in turn, on every piece the previous one made.</summary>
internal sealed record SequencePreTokenizer(IPreTokenizer[] Steps) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece) =>
        Steps.Aggregate((IEnumerable<Piece>)[piece], (pieces, step) => pieces.SelectMany(step.Split).ToList());
}

/// <summary>Splits at the matches of a pattern (Llama 3's and Qwen's regex, Isolated).</summary>
internal sealed record SplitPreTokenizer(TextPattern Pattern, SplitBehavior Behavior, bool Invert) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece) => piece.Cut(Splitter.Split(piece.Text, Pattern.Matches(piece.Text), Behavior, Invert));
}

/// <summary>
/// GPT-2's byte level: optionally a leading space and the GPT-2 split, then every UTF-8 byte written as its
/// <see cref="ByteLevelAlphabet"/> character (what the vocabulary is written in). <c>trim_offsets</c> only moves offsets.
/// </summary>
internal sealed record ByteLevelPreTokenizer(bool AddPrefixSpace, CodePointRegex? Gpt2Split) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        // HF prepends to every piece it is given, not only the text's first.
        if (AddPrefixSpace && !piece.Text.StartsWith(' ')) piece = piece with { Text = " " + piece.Text };
        var pieces = Gpt2Split is null ? [piece] : piece.Cut(Splitter.Split(piece.Text, Gpt2Split.Matches(piece.Text), SplitBehavior.Isolated));
        return pieces.Select(p => p with { Text = ByteLevelAlphabet.Encode(p.Text) });
    }
}

/// <summary>Splits digits from the rest: each digit alone, or runs of digits.</summary>
internal sealed record DigitsPreTokenizer(bool IndividualDigits) : IPreTokenizer
{
    public IEnumerable<Piece> Split(Piece piece)
    {
        var digits = new List<(int Start, int End)>();
        for (int i = 0; i < piece.Text.Length;)
        {
            var rune = System.Text.Rune.GetRuneAt(piece.Text, i);
            if (System.Text.Rune.IsNumber(rune)) digits.Add((i, i + rune.Utf16SequenceLength));
            i += rune.Utf16SequenceLength;
        }
        return piece.Cut(Splitter.Split(piece.Text, digits, IndividualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous));
    }
}
