using System.Text;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>A <c>decoder</c> of a <c>tokenizer.json</c>: turns the tokens of some ids back into text, in steps that
/// each rewrite the list of token strings (HF's <c>decode_chain</c>); the text is their concatenation.</summary>
internal interface ITokenDecoder
{
    /// <summary>The rewritten tokens.</summary>
    List<string> Decode(List<string> tokens);
}

/// <summary>The decoder types Subclone implements, read from their JSON.</summary>
internal static class Decoders
{
    /// <summary>Reads <paramref name="node"/>; an unknown type is refused naming it.</summary>
    public static ITokenDecoder Read(JsonNode node) => node.Type switch
    {
        "Sequence" => new SequenceDecoder(node.OnlyFields("type", "decoders").Required("decoders").Items().Select(Read).ToArray()),
        "ByteLevel" => TypeOnly(node.OnlyFields("type", "add_prefix_space", "trim_offsets", "use_regex"), new ByteLevelDecoder()),
        "Replace" => new ReplaceDecoder(TextPattern.Read(node.OnlyFields("type", "pattern", "content").Required("pattern")), node.Required("content").AsString()),
        "ByteFallback" => TypeOnly(node.OnlyFields("type"), new ByteFallbackDecoder()),
        "Fuse" => TypeOnly(node.OnlyFields("type"), new FuseDecoder()),
        "Strip" => new StripDecoder(node.OnlyFields("type", "content", "start", "stop").Char("content"), node.Int("start", 0), node.Int("stop", 0)),
        "Metaspace" => new MetaspaceDecoder(MetaspacePreTokenizer.Read(node)),
        var other => throw node.Error($"decoder type \"{JsonNode.Quote(other)}\" is not supported"),
    };

    // The node's fields are checked by the caller; this only keeps the switch one expression.
    static ITokenDecoder TypeOnly(JsonNode _, ITokenDecoder decoder) => decoder;
}

/// <summary>Each decoder in turn.</summary>
internal sealed record SequenceDecoder(ITokenDecoder[] Steps) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => Steps.Aggregate(tokens, (t, step) => step.Decode(t));
}

/// <summary>Byte-level tokens back to bytes, then UTF-8 (invalid sequences become U+FFFD, as Rust's from_utf8_lossy).</summary>
internal sealed record ByteLevelDecoder : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        var bytes = new List<byte>();
        // A token with a character outside the alphabet (an added token such as "<|im_start|>" is inside it) is its own UTF-8.
        foreach (string token in tokens) bytes.AddRange(ByteLevelAlphabet.Decode(token) ?? Encoding.UTF8.GetBytes(token));
        return [Encoding.UTF8.GetString([.. bytes])];
    }
}

/// <summary>Replaces a pattern in every token (Llama 2's and Gemma's "▁" → " ").</summary>
internal sealed record ReplaceDecoder(TextPattern Pattern, string Content) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select(t => Pattern.Replace(t, Content)).ToList();
}

/// <summary>Runs of &lt;0xXX&gt; tokens become the text their bytes spell, or one U+FFFD per byte if they are not UTF-8.</summary>
internal sealed record ByteFallbackDecoder : ITokenDecoder
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string token in tokens)
        {
            if (ByteOf(token) is byte b)
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, result);
            result.Add(token);
        }
        Flush(pending, result);
        return result;
    }

    static byte? ByteOf(string token) =>
        token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
        && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b) ? b : null;

    static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        try { result.Add(Strict.GetString([.. pending])); }
        catch (DecoderFallbackException) { result.AddRange(Enumerable.Repeat("\uFFFD", pending.Count)); }
        pending.Clear();
    }
}

/// <summary>All tokens joined into one.</summary>
internal sealed record FuseDecoder : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <see cref="Start"/> leading and <see cref="Stop"/> trailing <see cref="Content"/> characters
/// from every token (Llama 2 removes the space its "▁" prefix became).</summary>
internal sealed record StripDecoder(string Content, int Start, int Stop) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select(Strip).ToList();

    string Strip(string token)
    {
        int from = 0, to = token.Length;
        for (int i = 0; i < Start && token.AsSpan(from).StartsWith(Content, StringComparison.Ordinal); i++) from += Content.Length;
        for (int i = 0; i < Stop && to - from >= Content.Length && token.AsSpan(from, to - from).EndsWith(Content, StringComparison.Ordinal); i++) to -= Content.Length;
        return token[from..to];
    }
}

/// <summary>The replacement character back to spaces, and the space put before the text removed from the first token.</summary>
internal sealed record MetaspaceDecoder(MetaspacePreTokenizer Settings) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => tokens.Select((token, i) =>
    {
        string text = token.Replace(Settings.Replacement, " ");
        return i == 0 && Settings.Prepend != PrependScheme.Never && text.StartsWith(' ') ? text[1..] : text;
    }).ToList();
}
