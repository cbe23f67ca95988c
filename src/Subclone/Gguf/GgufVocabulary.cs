using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Gguf;

/// <summary>
/// The <c>tokenizer.ggml.*</c> keys, so llama.cpp tokenizes a prompt into the ids Subclone's tokenizer gives: a
/// SentencePiece <c>tokenizer.model</c> becomes llama.cpp's <c>llama</c> (SPM) vocabulary with scores and token
/// types; GPT-2 BPE files (<c>vocab.json</c> + <c>merges.txt</c>) its <c>gpt2</c> vocabulary with merges and a
/// pre-tokenizer. A model without tokenizer files gets placeholder tokens, one per embedding row, so llama.cpp runs it on ids.
/// Vocabularies shorter than the embedding are padded with <c>[PAD{i}]</c> (unused) tokens, as convert_hf_to_gguf pads them.
/// </summary>
public static class GgufVocabulary
{
    /// <summary>llama.cpp's token types (llama_token_type).</summary>
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>Whether <paramref name="directory"/> holds tokenizer files (else the vocabulary is placeholder tokens).</summary>
    public static bool HasTokenizer(string? directory) => directory is not null
        && (File.Exists(System.IO.Path.Combine(directory, "vocab.json")) || File.Exists(System.IO.Path.Combine(directory, "tokenizer.json"))
            || Directory.EnumerateFiles(directory, "*.model").Any());

    /// <summary>What was written: "sentencepiece", "bpe" or "placeholder".</summary>
    public static string Write(GgufMetadata m, ModelConfig config, string? directory, GgufMapping mapping)
    {
        string? Path(string name) => directory is not null && File.Exists(System.IO.Path.Combine(directory, name)) ? System.IO.Path.Combine(directory, name) : null;
        if (Path("vocab.json") is { } vocab && Path("merges.txt") is { } merges)
        {
            WriteBpe(m, config, directory!, vocab, merges, mapping.BpePreTokenizer);
            return "bpe";
        }
        string? model = Path("tokenizer.model")
            ?? (directory is null ? null : Directory.EnumerateFiles(directory, "*.model").Order(StringComparer.Ordinal).FirstOrDefault());
        if (model is not null)
        {
            WriteSentencePiece(m, config, directory!, model);
            return "sentencepiece";
        }
        if (Path("tokenizer.json") is { } json)
        {
            GgufTokenizerJson.Write(m, config, json);
            return "bpe";
        }
        WritePlaceholder(m, config);
        return "placeholder";
    }

    static void WriteSentencePiece(GgufMetadata m, ModelConfig config, string directory, string modelPath)
    {
        var sp = SentencePieceModelProto.Read(modelPath);
        // llama.cpp's SPM tokenizer merges by score like SentencePiece's BPE; a unigram model would tokenize differently.
        if (sp.ModelType != SentencePieceModelProto.Bpe)
            throw new InvalidDataException($"{modelPath}: SentencePiece model type {sp.ModelType} is not BPE; llama.cpp's llama vocabulary would tokenize it differently");
        var tokens = sp.Pieces.ToList(); var scores = sp.Scores.ToList(); var types = sp.Types.ToList();
        Pad(config, modelPath, tokens, types, scores);
        m.Add("tokenizer.ggml.model", "llama").Add("tokenizer.ggml.pre", "default")
            .Add("tokenizer.ggml.tokens", tokens).Add("tokenizer.ggml.scores", scores).Add("tokenizer.ggml.token_type", types);
        Special(m, "bos", sp.BosId, tokens.Count); Special(m, "eos", sp.EosId, tokens.Count);
        Special(m, "unknown", sp.UnkId, tokens.Count); Special(m, "padding", sp.PadId, tokens.Count);
        m.Add("tokenizer.ggml.add_bos_token", AddToken(directory, "add_bos_token") ?? config.Family.PrependsBos)
            .Add("tokenizer.ggml.add_eos_token", AddToken(directory, "add_eos_token") ?? false)
            .Add("tokenizer.ggml.add_space_prefix", sp.AddDummyPrefix);
    }

    static void WriteBpe(GgufMetadata m, ModelConfig config, string directory, string vocabPath, string mergesPath, string pre)
    {
        var vocab = Gpt2Vocabulary.Read(vocabPath);
        var added = AddedTokens(directory);
        int count = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, added.Count == 0 ? 0 : added.Keys.Max() + 1);
        // Checked before anything is sized by ids from the files.
        if (count > config.Vocab) throw new InvalidDataException($"{vocabPath}: token ids up to {count - 1}, beyond the model's {config.Vocab} embedding rows");
        var tokens = Enumerable.Range(0, count).Select(i => $"[PAD{i}]").ToList();
        var types = Enumerable.Repeat(Unused, count).ToList();
        foreach (var (piece, id) in vocab) { tokens[id] = piece; types[id] = Normal; }
        foreach (var (id, (content, special)) in added) { tokens[id] = content; types[id] = special ? Control : UserDefined; }
        Pad(config, vocabPath, tokens, types, null);
        var merges = File.ReadLines(mergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
        m.Add("tokenizer.ggml.model", "gpt2").Add("tokenizer.ggml.pre", pre)
            .Add("tokenizer.ggml.tokens", tokens).Add("tokenizer.ggml.token_type", types).Add("tokenizer.ggml.merges", merges);
        var ids = tokens.Select((t, i) => (t, i)).GroupBy(p => p.t).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        int? Named(string key) => TokenConfigString(directory, key) is { } s && ids.TryGetValue(s, out int id) ? id : ConfigId(config, key + "_id");
        Special(m, "bos", Named("bos_token"), tokens.Count); Special(m, "eos", Named("eos_token"), tokens.Count);
        Special(m, "unknown", Named("unk_token"), tokens.Count); Special(m, "padding", Named("pad_token"), tokens.Count);
        m.Add("tokenizer.ggml.add_bos_token", AddToken(directory, "add_bos_token") ?? config.Family.PrependsBos)
            .Add("tokenizer.ggml.add_eos_token", AddToken(directory, "add_eos_token") ?? false);
    }

    // Names no real piece could be; ids only mean something to the model itself.
    static void WritePlaceholder(GgufMetadata m, ModelConfig config)
    {
        var tokens = Enumerable.Range(0, config.Vocab).Select(i => $"<id{i}>").ToList();
        m.Add("tokenizer.ggml.model", "gpt2").Add("tokenizer.ggml.pre", "default")
            .Add("tokenizer.ggml.tokens", tokens).Add("tokenizer.ggml.token_type", Enumerable.Repeat(Normal, config.Vocab).ToList())
            .Add("tokenizer.ggml.merges", new List<string>());
        Special(m, "bos", ConfigId(config, "bos_token_id"), config.Vocab); Special(m, "eos", ConfigId(config, "eos_token_id"), config.Vocab);
        m.Add("tokenizer.ggml.add_bos_token", false).Add("tokenizer.ggml.add_eos_token", false);
    }

    internal static void Pad(ModelConfig config, string path, List<string> tokens, List<int> types, List<float>? scores)
    {
        if (tokens.Count > config.Vocab)
            throw new InvalidDataException($"{path}: {tokens.Count} tokens, more than the model's {config.Vocab} embedding rows");
        for (int i = tokens.Count; i < config.Vocab; i++) { tokens.Add($"[PAD{i}]"); types.Add(Unused); scores?.Add(-1000f); }
    }

    internal static void Special(GgufMetadata m, string name, int? id, int count)
    {
        if (id is int i && i >= 0 && i < count) m.Add($"tokenizer.ggml.{name}_token_id", (uint)i);
    }

    static int? ConfigId(ModelConfig config, string key) =>
        config.Raw[key] is JsonValue v && v.TryGetValue<int>(out int id) ? id : null;

    static JsonObject? TokenizerConfig(string directory)
    {
        string path = System.IO.Path.Combine(directory, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: is not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: is not valid JSON ({JsonText.Describe(e)})"); }
    }

    static bool? AddToken(string directory, string key) =>
        TokenizerConfig(directory)?[key] is JsonValue v && v.TryGetValue<bool>(out bool b) ? b : null;

    // tokenizer_config's bos_token etc.: a string, or an AddedToken object with "content".
    static string? TokenConfigString(string directory, string key) => TokenizerConfig(directory)?[key] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
        _ => null,
    };

    // added_tokens_decoder of tokenizer_config.json (id → content, special), as the converter reads it.
    static Dictionary<int, (string Content, bool Special)> AddedTokens(string directory)
    {
        var result = new Dictionary<int, (string, bool)>();
        if (TokenizerConfig(directory)?["added_tokens_decoder"] is not JsonObject decoder) return result;
        foreach (var (key, node) in decoder)
            if (int.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out int id) && id >= 0
                && node?["content"] is JsonValue c && c.TryGetValue<string>(out var content))
                result[id] = (content, node["special"] is JsonValue s && s.TryGetValue<bool>(out bool special) && special);
        return result;
    }
}
