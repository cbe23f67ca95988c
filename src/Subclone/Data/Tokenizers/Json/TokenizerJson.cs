using System.Text.Json;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// The parts of a <c>tokenizer.json</c> (Hugging Face's fast-tokenizer file), read and checked: every part Subclone
/// does not implement (a model type such as Unigram or WordPiece, a normalizer, pre-tokenizer, post-processor or
/// decoder type, truncation, fixed padding, an unknown field) is refused with its place in the file, so that a text
/// is never tokenized differently in silence.
/// </summary>
internal sealed record TokenizerJson(
    BpeModel Model,
    IReadOnlyList<AddedToken> AddedTokens,
    ITextNormalizer? Normalizer,
    IPreTokenizer? PreTokenizer,
    PostProcessor PostProcessor,
    ITokenDecoder? Decoder)
{
    /// <summary>The <c>model.type</c> of <paramref name="path"/>.</summary>
    public static string ModelType(string path)
    {
        using var document = Parse(path);
        return new JsonNode(document.RootElement, path, "").Required("model").Type;
    }

    static JsonDocument Parse(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new InvalidDataException($"{path}: is not valid UTF-8");
        // Real files nest a few levels; the default depth (64) bounds what a hostile one can make the reader recurse into.
        try { return JsonDocument.Parse(bytes, JsonText.NoDuplicateKeys); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: is not valid JSON ({JsonText.Describe(e)})"); }
    }

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    public static TokenizerJson Read(string path)
    {
        using (var document = Parse(path))
        {
            var root = new JsonNode(document.RootElement, path, "");
            if (root.Element.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: is not a JSON object");
            root.OnlyFields("version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
            if (root.Child("truncation") is { } truncation) throw truncation.Error("truncation is not supported (it would cut every encoding)");
            if (root.Child("padding") is { } padding) CheckPadding(padding);
            var model = root.Required("model");
            if (model.Type != "BPE") throw model.Error($"model type \"{JsonNode.Quote(model.Type)}\" is not supported (Subclone reads BPE tokenizer.json files)");
            return new TokenizerJson(
                BpeModel.Read(model),
                root.Child("added_tokens")?.Items().Select(AddedToken.Read).ToArray() ?? [],
                root.Child("normalizer") is { } normalizer ? Normalizers.Read(normalizer) : null,
                root.Child("pre_tokenizer") is { } preTokenizer ? PreTokenizers.Read(preTokenizer) : null,
                root.Child("post_processor") is { } postProcessor ? PostProcessor.Read(postProcessor) : PostProcessor.None,
                root.Child("decoder") is { } decoder ? Decoders.Read(decoder) : null);
        }
    }

    // Padding to the batch's longest sequence leaves a single encoding as it is; any other padding would not.
    static void CheckPadding(JsonNode padding)
    {
        bool batchLongest = padding.Child("strategy") is { Element.ValueKind: JsonValueKind.String } strategy && strategy.AsString() == "BatchLongest";
        if (!batchLongest || padding.Child("pad_to_multiple_of") is not null)
            throw padding.Error("padding other than BatchLongest without pad_to_multiple_of is not supported (it would pad every encoding)");
    }
}
