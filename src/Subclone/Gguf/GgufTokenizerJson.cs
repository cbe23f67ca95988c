using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Gguf;

/// <summary>
/// A byte-level BPE <c>tokenizer.json</c> (Llama 3, Qwen2/3, OLMo 2, GPT-2 style; no vocab.json / merges.txt beside
/// it) as llama.cpp's <c>gpt2</c> vocabulary: tokens by id from the model's vocabulary and <c>added_tokens</c> (special
/// ones as control tokens, others user-defined), the merges in rank order, BOS/EOS and whether encoding adds them as
/// Subclone's <see cref="FastTokenizer"/> does. The file is read and checked by that reader first, so a part it refuses
/// is refused here too. <c>tokenizer.ggml.pre</c> is chosen from the pre-tokenizer's split regex, the way
/// convert_hf_to_gguf.py recognises a tokenizer (it hashes the tokenization of a test text; the regex is what
/// decides it): GPT-4's regex with <c>ignore_merges</c> is llama.cpp's <c>llama-bpe</c> (Llama 3), without it
/// <c>dbrx</c> (the same regex, merges always applied: DBRX, OLMo 2), the same regex with single digits <c>qwen2</c>,
/// and the ByteLevel pre-tokenizer's own GPT-2 regex <c>gpt-2</c>. Any other pre-tokenizer, a normalizer other than
/// NFC (which llama.cpp does not apply; NFC text is unchanged by it) or byte fallback (a SentencePiece-style file such
/// as Llama 2's or Gemma's: ship its tokenizer.model) is refused naming the file.
/// </summary>
static class GgufTokenizerJson
{
    const string Gpt4Regex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const string QwenRegex = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Writes the <c>tokenizer.ggml.*</c> keys from <paramref name="path"/>.</summary>
    public static void Write(GgufMetadata m, ModelConfig config, string path)
    {
        var tokenizer = FastTokenizer.Load(path);
        var parts = tokenizer.Parts;
        if (parts.Model.ByteFallback)
            throw new InvalidDataException($"{path}: a SentencePiece-style tokenizer.json (byte_fallback) is not exported to GGUF; llama.cpp's llama vocabulary needs the tokenizer.model it was made from");
        // The reader has checked the file; only the two top-level parts the vocabulary is named by are looked at again.
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonNode? Part(string name) => document.RootElement.TryGetProperty(name, out var e) ? JsonNode.Parse(e.GetRawText()) : null;
        if (Part("normalizer") is JsonObject normalizer && normalizer["type"]?.GetValue<string>() != "NFC")
            throw new InvalidDataException($"{path}: normalizer '{normalizer["type"]}' has no llama.cpp equivalent for a GPT-2 BPE vocabulary");
        string pre = PreTokenizer(path, Part("pre_tokenizer"), parts.Model.IgnoreMerges);

        int count = Math.Max(parts.Model.Tokens.Count == 0 ? 0 : parts.Model.Tokens.Keys.Max() + 1,
            parts.AddedTokens.Count == 0 ? 0 : parts.AddedTokens.Max(t => t.Id) + 1);
        if (count > config.Vocab) throw new InvalidDataException($"{path}: token ids up to {count - 1}, beyond the model's {config.Vocab} embedding rows");
        var tokens = Enumerable.Range(0, count).Select(i => $"[PAD{i}]").ToList();
        var types = Enumerable.Repeat(GgufVocabulary.Unused, count).ToList();
        foreach (var (id, piece) in parts.Model.Tokens) { tokens[id] = piece; types[id] = GgufVocabulary.Normal; }
        foreach (var added in parts.AddedTokens) { tokens[added.Id] = added.Content; types[added.Id] = added.Special ? GgufVocabulary.Control : GgufVocabulary.UserDefined; }
        GgufVocabulary.Pad(config, path, tokens, types, null);

        // Files hold "left right" strings or, newer, ["left", "right"] pairs; llama.cpp reads the former.
        var merges = parts.Model.MergeList.Select(p => $"{p.Left} {p.Right}").ToList();
        m.Add("tokenizer.ggml.model", "gpt2").Add("tokenizer.ggml.pre", pre)
            .Add("tokenizer.ggml.tokens", tokens).Add("tokenizer.ggml.token_type", types).Add("tokenizer.ggml.merges", merges);
        GgufVocabulary.Special(m, "bos", tokenizer.BosId, tokens.Count);
        GgufVocabulary.Special(m, "eos", tokenizer.EosId, tokens.Count);
        // What encoding with special tokens adds around a text, as Subclone (and HF's post-processor) frames it.
        int[] plain = tokenizer.Encode("a", addSpecialTokens: false), framed = tokenizer.Encode("a", addSpecialTokens: true);
        bool addsBos = framed.Length > plain.Length && tokenizer.BosId is int bos && framed[0] == bos;
        bool addsEos = framed.Length > plain.Length && tokenizer.EosId is int eos && framed[^1] == eos;
        m.Add("tokenizer.ggml.add_bos_token", addsBos).Add("tokenizer.ggml.add_eos_token", addsEos);
    }

    static string PreTokenizer(string path, JsonNode? node, bool ignoreMerges)
    {
        string? Type(JsonNode? n) => n?["type"]?.GetValue<string>();
        bool Flag(JsonNode n, string key, bool fallback) => n[key] is JsonValue v ? v.GetValue<bool>() : fallback;
        // ByteLevel with its own (GPT-2) regex and no prefix space: GPT-2's pre-tokenizer.
        if (Type(node) == "ByteLevel" && Flag(node!, "use_regex", true) && !Flag(node!, "add_prefix_space", true)) return "gpt-2";
        if (Type(node) == "Sequence" && node!["pretokenizers"] is JsonArray { Count: 2 } steps
            && Type(steps[0]) == "Split" && steps[0]!["pattern"]?["Regex"]?.GetValue<string>() is { } regex
            && steps[0]!["behavior"]?.GetValue<string>() == "Isolated" && !Flag(steps[0]!, "invert", false)
            && Type(steps[1]) == "ByteLevel" && !Flag(steps[1]!, "use_regex", true) && !Flag(steps[1]!, "add_prefix_space", true))
        {
            if (regex == Gpt4Regex) return ignoreMerges ? "llama-bpe" : "dbrx";
            if (regex == QwenRegex) return "qwen2";
        }
        throw new InvalidDataException($"{path}: pre_tokenizer {node?.ToJsonString() ?? "null"} is not one llama.cpp's GPT-2 BPE vocabulary names (Llama 3, Qwen2, DBRX/OLMo 2, GPT-2)");
    }
}
