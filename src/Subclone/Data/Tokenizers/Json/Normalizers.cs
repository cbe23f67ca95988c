using System.Text;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>A <c>normalizer</c> of a <c>tokenizer.json</c>: rewrites each stretch of text between added tokens.</summary>
internal interface ITextNormalizer
{
    /// <summary>The normalized text.</summary>
    string Normalize(string text);
}

/// <summary>The normalizer types Subclone implements, read from their JSON.</summary>
internal static class Normalizers
{
    /// <summary>Reads <paramref name="node"/>; an unknown type is refused naming it.</summary>
    public static ITextNormalizer Read(JsonNode node) => node.Type switch
    {
        "Sequence" => new SequenceNormalizer(node.OnlyFields("type", "normalizers").Required("normalizers").Items().Select(Read).ToArray()),
        "NFC" => TypeOnly(node, new UnicodeNormalizer(NormalizationForm.FormC)),
        "NFD" => TypeOnly(node, new UnicodeNormalizer(NormalizationForm.FormD)),
        "NFKC" => TypeOnly(node, new UnicodeNormalizer(NormalizationForm.FormKC)),
        "NFKD" => TypeOnly(node, new UnicodeNormalizer(NormalizationForm.FormKD)),
        "Lowercase" => TypeOnly(node, new LowercaseNormalizer()),
        "Prepend" => new PrependNormalizer(node.OnlyFields("type", "prepend").Required("prepend").AsString()),
        "Replace" => new ReplaceNormalizer(TextPattern.Read(node.OnlyFields("type", "pattern", "content").Required("pattern")), node.Required("content").AsString()),
        "Strip" => new StripNormalizer(node.OnlyFields("type", "strip_left", "strip_right").Bool("strip_left", false), node.Bool("strip_right", false)),
        "StripAccents" => TypeOnly(node, new StripAccentsNormalizer()),
        var other => throw node.Error($"normalizer type \"{JsonNode.Quote(other)}\" is not supported"),
    };

    static ITextNormalizer TypeOnly(JsonNode node, ITextNormalizer normalizer)
    {
        node.OnlyFields("type");
        return normalizer;
    }
}

/// <summary>Each normalizer in turn.</summary>
internal sealed record SequenceNormalizer(ITextNormalizer[] Steps) : ITextNormalizer
{
    public string Normalize(string text) => Steps.Aggregate(text, (t, step) => step.Normalize(t));
}

/// <summary>NFC, NFD, NFKC or NFKD.</summary>
internal sealed record UnicodeNormalizer(NormalizationForm Form) : ITextNormalizer
{
    public string Normalize(string text) => text.Normalize(Form);
}

/// <summary>Lower case (Rust's <c>to_lowercase</c>; .NET's invariant mapping, with İ's two-character lower case).</summary>
internal sealed record LowercaseNormalizer : ITextNormalizer
{
    public string Normalize(string text) => text.Replace("\u0130", "i\u0307").ToLowerInvariant();
}

/// <summary>Puts <see cref="Prefix"/> before non-empty text (Llama 2's "▁").</summary>
internal sealed record PrependNormalizer(string Prefix) : ITextNormalizer
{
    public string Normalize(string text) => text.Length == 0 ? text : Prefix + text;
}

/// <summary>Replaces every match of a pattern (Llama 2's and Gemma's " " → "▁").</summary>
internal sealed record ReplaceNormalizer(TextPattern Pattern, string Content) : ITextNormalizer
{
    public string Normalize(string text) => Pattern.Replace(text, Content);
}

/// <summary>Removes leading and/or trailing white space.</summary>
internal sealed record StripNormalizer(bool Left, bool Right) : ITextNormalizer
{
    public string Normalize(string text) => Left && Right ? text.Trim() : Left ? text.TrimStart() : Right ? text.TrimEnd() : text;
}

/// <summary>Removes non-spacing combining marks (after an NFD normalizer, the accents).</summary>
internal sealed record StripAccentsNormalizer : ITextNormalizer
{
    public string Normalize(string text) =>
        string.Concat(text.EnumerateRunes().Where(r => Rune.GetUnicodeCategory(r) != System.Globalization.UnicodeCategory.NonSpacingMark).Select(r => r.ToString()));
}
