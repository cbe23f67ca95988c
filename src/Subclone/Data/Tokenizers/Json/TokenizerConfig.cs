using System.Text.Json;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// What <c>transformers</c> reads from <c>tokenizer_config.json</c> that changes the ids of a fast tokenizer: the BOS
/// and EOS tokens, <c>add_bos_token</c>/<c>add_eos_token</c> for the classes that rebuild their post-processor from
/// them (LlamaTokenizerFast, GemmaTokenizerFast, CodeLlamaTokenizerFast call <c>update_post_processor</c> in their
/// constructor, defaulting to BOS and no EOS), and <c>split_special_tokens</c>.
/// </summary>
internal sealed record TokenizerConfig(string? BosToken, string? EosToken, bool? AddBosToken, bool? AddEosToken, string? TokenizerClass, bool SplitSpecialTokens)
{
    static readonly string[] TemplateRebuilders = ["LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer"];

    /// <summary>No tokenizer_config.json.</summary>
    public static readonly TokenizerConfig Empty = new(null, null, null, null, null, false);

    /// <summary>Whether transformers replaces the file's post-processor with [BOS] $A [EOS] from the add_* flags.</summary>
    public bool RebuildsTemplate => TokenizerClass is { } name && TemplateRebuilders.Contains(name.EndsWith("Fast", StringComparison.Ordinal) ? name[..^4] : name);

    /// <summary>Reads <paramref name="path"/>, or <see cref="Empty"/> when there is no such file.</summary>
    public static TokenizerConfig Read(string path)
    {
        if (!File.Exists(path)) return Empty;
        byte[] bytes = File.ReadAllBytes(path);
        // Checked first: the parser accepts invalid UTF-8 inside strings and only fails when one is read (fuzz finding).
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new InvalidDataException($"{path}: is not valid UTF-8");
        JsonDocument document;
        try { document = JsonDocument.Parse(bytes, JsonText.NoDuplicateKeys); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: is not valid JSON ({JsonText.Describe(e)})"); }
        using (document)
        {
            var root = new JsonNode(document.RootElement, path, "tokenizer_config");
            if (root.Element.ValueKind != JsonValueKind.Object) throw root.Error("is not a JSON object");
            bool? Flag(string name) => root.Child(name) is null ? null : root.Bool(name, false);
            return new TokenizerConfig(TokenText(root.Child("bos_token")), TokenText(root.Child("eos_token")), Flag("add_bos_token"),
                Flag("add_eos_token"), root.String("tokenizer_class"), root.Bool("split_special_tokens", false));
        }
    }

    // A token is written as its text or as a serialized AddedToken {"content": …}.
    static string? TokenText(JsonNode? node) => node switch
    {
        null => null,
        { Element.ValueKind: JsonValueKind.Object } token => token.Required("content").AsString(),
        var token => token.Value.AsString(),
    };
}
