using System.Text.Json;

namespace Subclone.Data.Tokenizers;

/// <summary>A GPT-2 vocab.json (token → id), checked before the tokenizer library sees it.</summary>
internal static class Gpt2Vocabulary
{
    /// <summary>Ids must be non-negative int32s below int.MaxValue, so that max id + 1 (the tokenizer's VocabSize,
    /// compared with the model's vocab_size) cannot overflow to a negative number that any model would "fit".</summary>
    public static Dictionary<string, int> Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        // Checked first: the parser accepts invalid UTF-8 inside strings and only fails when a name is read.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new InvalidDataException($"{path}: is not valid UTF-8");
        JsonDocument document;
        try { document = JsonDocument.Parse(bytes, JsonText.NoDuplicateKeys); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: is not valid JSON ({JsonText.Describe(e)})"); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: is not a JSON object of token ids");
            var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var token in document.RootElement.EnumerateObject())
                vocabulary[token.Name] = token.Value.ValueKind == JsonValueKind.Number && token.Value.TryGetInt32(out int id) && id is >= 0 and < int.MaxValue
                    ? id
                    : throw new InvalidDataException($"{path}: token {Truncate(JsonSerializer.Serialize(token.Name))} has id {Truncate(token.Value.GetRawText())}, not a non-negative integer");
            if (vocabulary.Count == 0) throw new InvalidDataException($"{path}: has no tokens");
            return vocabulary;
        }
    }

    // Raw JSON may span lines; the message must not.
    static string Truncate(string text) =>
        string.Concat(text.Take(40).Select(c => char.IsControl(c) ? ' ' : c)) + (text.Length > 40 ? "…" : "");
}
