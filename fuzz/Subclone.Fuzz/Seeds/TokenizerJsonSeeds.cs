using System.Text;
using System.Text.Json.Nodes;

namespace Subclone.Fuzz;

/// <summary>
/// Small tokenizer.json files (with a tokenizer_config.json after a NUL) in the shapes of the real ones: Llama 3's
/// regex Split + byte level, Llama 2's SentencePiece-style BPE with byte fallback, a Metaspace / Digits / Roberta one,
/// and GPT-2's. The tests build their own variations from these too.
/// </summary>
internal static class TokenizerJsonSeeds
{
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static IEnumerable<Seed> All()
    {
        yield return Seed("valid-llama3-style.json", ByteLevelRegex(), """{"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}""");
        yield return Seed("valid-llama2-style.json", SentencePieceStyle(), """{"add_bos_token": true, "add_eos_token": true, "bos_token": "<s>", "eos_token": "</s>", "tokenizer_class": "LlamaTokenizer"}""");
        yield return Seed("valid-metaspace.json", Metaspace(), null);
        yield return Seed("valid-gpt2-style.json", Gpt2Style(), null);
    }

    static Seed Seed(string name, JsonObject tokenizer, string? config) =>
        new("tokenizer-json", name, [.. Encoding.UTF8.GetBytes(tokenizer.ToJsonString()), .. config is null ? Array.Empty<byte>() : [0, .. Encoding.UTF8.GetBytes(config)]]);

    /// <summary>Llama 3's shape: NFC, the regex Split, byte level without its own regex, ignore_merges, BOS template.</summary>
    public static JsonObject ByteLevelRegex() => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = new JsonArray(Added(300, "<|begin_of_text|>", special: true), Added(301, "<|end_of_text|>", special: true), Added(302, "<tool>", special: false)),
        ["normalizer"] = new JsonObject { ["type"] = "NFC" },
        ["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
        },
        ["post_processor"] = Template("<|begin_of_text|>", 300),
        ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
        ["model"] = Bpe(ByteLevelVocab(["Ġt", "he", "Ġthe", "Ġc", "at", "Ġcat"]), ["Ġ t", "h e", "Ġt he", "Ġ c", "a t", "Ġc at"], ignoreMerges: true),
    };

    /// <summary>GPT-2's shape: ByteLevel with its own regex and prefix space, merges as pairs, no unk.</summary>
    public static JsonObject Gpt2Style()
    {
        var tokenizer = ByteLevelRegex();
        tokenizer["normalizer"] = null;
        tokenizer["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true };
        tokenizer["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true };
        var model = Bpe(ByteLevelVocab(["Ġt", "he", "Ġthe"]), [], ignoreMerges: false);
        model["merges"] = new JsonArray(new JsonArray("Ġ", "t"), new JsonArray("h", "e"), new JsonArray("Ġt", "he"));
        tokenizer["model"] = model;
        return tokenizer;
    }

    /// <summary>Llama 2's shape: Prepend "▁" and Replace " " → "▁", byte fallback, fuse_unk, and its decoder chain.</summary>
    public static JsonObject SentencePieceStyle() => new()
    {
        ["version"] = "1.0",
        ["added_tokens"] = new JsonArray(Added(0, "<unk>", special: true), Added(1, "<s>", special: true), Added(2, "</s>", special: true),
            Added(3, "[left]", special: false, lstrip: true), Added(4, "[right]", special: false, rstrip: true), Added(5, "word", special: false, singleWord: true)),
        ["normalizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["normalizers"] = new JsonArray(
                new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
        },
        ["post_processor"] = Template("<s>", 1),
        ["decoder"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["decoders"] = new JsonArray(
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                new JsonObject { ["type"] = "ByteFallback" }, new JsonObject { ["type"] = "Fuse" },
                new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
        },
        ["model"] = SentencePieceModel(),
    };

    /// <summary>Metaspace (prepend first, split) after Digits, a Replace regex normalizer, a normalized added token,
    /// Roberta-style cls/sep, a Metaspace decoder.</summary>
    public static JsonObject Metaspace()
    {
        var tokenizer = SentencePieceStyle();
        tokenizer["added_tokens"] = new JsonArray(Added(0, "<unk>", special: true), Added(1, "<s>", special: true), Added(2, "</s>", special: true),
            Added(3, "the cat", special: false, normalized: true));
        tokenizer["normalizer"] = new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " {2,}" }, ["content"] = " " };
        tokenizer["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = true }),
        };
        tokenizer["post_processor"] = new JsonObject { ["type"] = "RobertaProcessing", ["sep"] = new JsonArray("</s>", 2), ["cls"] = new JsonArray("<s>", 1), ["trim_offsets"] = true, ["add_prefix_space"] = true };
        tokenizer["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = true };
        return tokenizer;
    }

    static JsonObject SentencePieceModel()
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 6 + b;
        int id = 262;
        foreach (string piece in "▁abcdefghijklmnopqrstuvwxyz.!0123456789".Select(c => c.ToString()).Concat(["▁t", "he", "▁the", "▁c", "at", "▁cat"]))
            vocab[piece] = id++;
        var model = Bpe(vocab, ["▁ t", "h e", "▁t he", "▁ c", "a t", "▁c at"], ignoreMerges: false);
        model["unk_token"] = "<unk>";
        model["fuse_unk"] = true;
        model["byte_fallback"] = true;
        return model;
    }

    static JsonObject ByteLevelVocab(string[] merged)
    {
        var vocab = new JsonObject();
        int next = 256, id = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            vocab[((char)(printable ? b : next++)).ToString()] = id++;
        }
        foreach (string token in merged) vocab[token] = id++;
        return vocab;
    }

    static JsonObject Bpe(JsonObject vocab, string[] merges, bool ignoreMerges) => new()
    {
        ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
        ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = ignoreMerges,
        ["vocab"] = vocab, ["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray()),
    };

    static JsonObject Added(int id, string content, bool special, bool lstrip = false, bool rstrip = false, bool singleWord = false, bool normalized = false) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = singleWord, ["lstrip"] = lstrip, ["rstrip"] = rstrip, ["normalized"] = normalized, ["special"] = special,
    };

    static JsonObject Template(string bos, int id) => new()
    {
        ["type"] = "TemplateProcessing",
        ["single"] = new JsonArray(new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = bos, ["type_id"] = 0 } },
            new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
        ["pair"] = new JsonArray(),
        ["special_tokens"] = new JsonObject { [bos] = new JsonObject { ["id"] = bos, ["ids"] = new JsonArray(id), ["tokens"] = new JsonArray(bos) } },
    };
}
