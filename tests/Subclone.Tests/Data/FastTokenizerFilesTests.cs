using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;
using Subclone.Fuzz;
using Subclone.Tests.Support;
using static Subclone.Tests.Support.TokenizerJsonFiles;

namespace Subclone.Tests.Data;

/// <summary>The parts of tokenizer.json on small generated files: each behaviour the real files rely on less visibly,
/// and the refusal of every part Subclone does not implement.</summary>
public class FastTokenizerFilesTests
{
    [Fact]
    public void Byte_level_regex_split_with_ignore_merges_and_a_bos_template()
    {
        var tokenizer = Load(TokenizerJsonSeeds.ByteLevelRegex());
        // "the" has no whole token, so it is merged (h e); "Ġcat" is in the vocabulary and taken whole.
        Assert.Equal(IdsOf(tokenizer, "t", "he", "Ġcat"), tokenizer.Encode("the cat"));
        Assert.Equal([300, .. IdsOf(tokenizer, "t", "he")], tokenizer.Encode("the", addSpecialTokens: true));
        Assert.Equal("the cat", tokenizer.Decode(tokenizer.Encode("the cat")));
    }

    [Fact]
    public void Special_tokens_in_the_text_are_found_unless_split_special_tokens_is_set()
    {
        var tokenizer = Load(TokenizerJsonSeeds.ByteLevelRegex());
        Assert.Equal([301, .. IdsOf(tokenizer, "a")], tokenizer.Encode("<|end_of_text|>a"));
        Assert.Equal([302], tokenizer.Encode("<tool>"));

        var split = Load(TokenizerJsonSeeds.ByteLevelRegex(), """{"split_special_tokens": true}""");
        Assert.DoesNotContain(301, split.Encode("<|end_of_text|>a"));
        Assert.Equal([302], split.Encode("<tool>"));  // not special: still one token
    }

    [Fact]
    public void Added_tokens_lstrip_rstrip_and_single_word()
    {
        var tokenizer = Load(TokenizerJsonSeeds.SentencePieceStyle());
        // Each stretch between added tokens gets its own "▁" from the Prepend normalizer; lstrip takes the space before.
        Assert.Equal([.. IdsOf(tokenizer, "▁", "a"), 3, .. IdsOf(tokenizer, "▁", "b")], tokenizer.Encode("a [left]b"));
        Assert.Equal([.. IdsOf(tokenizer, "▁", "a"), 4, .. IdsOf(tokenizer, "▁", "b")], tokenizer.Encode("a[right]  b"));
        Assert.Equal([.. IdsOf(tokenizer, "▁", "a", "▁"), 5, .. IdsOf(tokenizer, "▁", "▁", "b")], tokenizer.Encode("a word b"));
        // single_word: inside a word it is text.
        Assert.DoesNotContain(5, tokenizer.Encode("swordfish"));
    }

    [Fact]
    public void Byte_fallback_and_fused_unknowns()
    {
        var tokenizer = Load(TokenizerJsonSeeds.SentencePieceStyle());
        Assert.Equal(IdsOf(tokenizer, "▁", "<0xC3>", "<0xA9>"), tokenizer.Encode("é"));
        Assert.Equal("é a", tokenizer.Decode(tokenizer.Encode("é a")));

        var noFallback = TokenizerJsonSeeds.SentencePieceStyle();
        noFallback["model"]!["byte_fallback"] = false;
        Assert.Equal([.. IdsOf(tokenizer, "▁", "a"), 0, .. IdsOf(tokenizer, "b")], Load(noFallback).Encode("aé🙂b"));
        noFallback["model"]!["fuse_unk"] = false;
        Assert.Equal([.. IdsOf(tokenizer, "▁", "a"), 0, 0, .. IdsOf(tokenizer, "b")], Load(noFallback).Encode("aé🙂b"));
    }

    [Fact]
    public void Metaspace_first_digits_normalized_added_token_and_cls_sep()
    {
        var tokenizer = Load(TokenizerJsonSeeds.Metaspace());
        // Only the piece at the start of the text gets "▁"; each digit is its own piece.
        Assert.Equal(IdsOf(tokenizer, "▁", "a", "1", "b"), tokenizer.Encode("a1b"));
        // The normalizer collapses the double space, then the normalized added token "the cat" matches.
        Assert.Equal([3], tokenizer.Encode("the  cat"));
        Assert.Equal([1, .. IdsOf(tokenizer, "▁", "a"), 2], tokenizer.Encode("a", addSpecialTokens: true));
        Assert.Equal("a b", tokenizer.Decode(tokenizer.Encode("a b")));
    }

    [Fact]
    public void Llama_tokenizer_classes_take_add_bos_and_add_eos_from_tokenizer_config()
    {
        var template = Load(TokenizerJsonSeeds.SentencePieceStyle());
        Assert.Equal([1, .. IdsOf(template, "▁", "a")], template.Encode("a", addSpecialTokens: true));
        string config = """{"add_bos_token": false, "add_eos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>"}, "tokenizer_class": "LlamaTokenizerFast"}""";
        var rebuilt = Load(TokenizerJsonSeeds.SentencePieceStyle(), config);
        Assert.Equal([.. IdsOf(rebuilt, "▁", "a"), 2], rebuilt.Encode("a", addSpecialTokens: true));
        Assert.Equal((1, 2), (rebuilt.BosId, rebuilt.EosId));
        // Other classes keep the file's post-processor, as transformers does.
        var kept = Load(TokenizerJsonSeeds.SentencePieceStyle(), config.Replace("LlamaTokenizerFast", "PreTrainedTokenizerFast"));
        Assert.Equal([1, .. IdsOf(kept, "▁", "a")], kept.Encode("a", addSpecialTokens: true));
    }

    public static TheoryData<string, string, string> Unsupported() => new()
    {
        { "model", """{"type": "Unigram", "unk_id": 0, "vocab": [["a", 0.0]]}""", "model type \"Unigram\" is not supported" },
        { "model", """{"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0}}""", "model type \"WordPiece\" is not supported" },
        { "pre_tokenizer", """{"type": "Whitespace"}""", "pre-tokenizer type \"Whitespace\" is not supported" },
        { "pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "\\p{L}++"}, "behavior": "Isolated", "invert": false}""", "is not supported: .NET cannot parse it" },
        { "pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "\\p{Han}+"}, "behavior": "Isolated", "invert": false}""", "is not supported: .NET cannot parse it" },
        { "normalizer", """{"type": "Precompiled", "precompiled_charsmap": "AAAA"}""", "normalizer type \"Precompiled\" is not supported" },
        { "normalizer", """{"type": "BertNormalizer", "lowercase": true}""", "normalizer type \"BertNormalizer\" is not supported" },
        { "post_processor", """{"type": "Unknown"}""", "post-processor type \"Unknown\" is not supported" },
        { "decoder", """{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "decoder type \"WordPiece\" is not supported" },
        { "decoder", """{"type": "ByteLevel", "add_prefix_space": true, "future_field": 1}""", "field \"future_field\" is not supported" },
        { "truncation", """{"max_length": 8, "strategy": "LongestFirst", "stride": 0, "direction": "Right"}""", "truncation is not supported" },
        { "padding", """{"strategy": {"Fixed": 16}, "direction": "Right", "pad_id": 0}""", "padding other than BatchLongest" },
    };

    [Theory]
    [MemberData(nameof(Unsupported))]
    public void Unsupported_parts_are_refused_naming_the_file_and_part(string part, string json, string problem)
    {
        var tokenizer = TokenizerJsonSeeds.ByteLevelRegex();
        tokenizer[part] = JsonNode.Parse(json);
        using var dir = new TempDir();
        string path = Write(dir, tokenizer);
        var error = Assert.Throws<InvalidDataException>(() => FastTokenizer.Load(path));
        Assert.StartsWith($"{path}: {part}", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("dropout", "0.1", "BPE dropout is not supported")]
    [InlineData("ignore_merges", "\"yes\"", "is not true or false")]
    [InlineData("merges", "[\"Ġ zzz\"]", "merges token \"zzz\", which is not in the vocabulary")]
    [InlineData("merges", "[\"a b c\"]", "is not two tokens separated by one space")]
    [InlineData("unk_token", "\"<nope>\"", "unk_token \"<nope>\" is not in the vocabulary")]
    [InlineData("vocab", "{\"a\": -1}", "is not an id from 0 to")]
    public void Malformed_bpe_models_are_refused(string field, string json, string problem)
    {
        var tokenizer = TokenizerJsonSeeds.ByteLevelRegex();
        tokenizer["model"]![field] = JsonNode.Parse(json);
        var error = Assert.Throws<InvalidDataException>(() => Load(tokenizer));
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Regex_matching_sees_one_character_per_code_point()
    {
        // Oniguruma reads 𝐀 (U+1D400, a letter outside the BMP) as \p{L}, so Llama 3's pattern keeps "𝐀b" as one
        // pre-token; .NET's UTF-16 matching would see two surrogates (neither \p{L}) and split it from "b". A token
        // for the whole "𝐀b" shows which happened.
        var spanning = TokenizerJsonSeeds.ByteLevelRegex();
        string letter = ByteLevel("𝐀");
        var vocab = (JsonObject)spanning["model"]!["vocab"]!;
        vocab[letter[..2]] = 310;
        vocab[letter[2..]] = 311;
        vocab[letter] = 312;
        vocab[letter + "b"] = 313;
        spanning["model"]!["merges"] = new JsonArray($"{letter[0]} {letter[1]}", $"{letter[2]} {letter[3]}", $"{letter[..2]} {letter[2..]}", $"{letter} b");
        Assert.Equal([313], Load(spanning).Encode("𝐀b"));
        var tokenizer = Load(spanning);
        Assert.Equal([312, .. IdsOf(tokenizer, "Ġ", "b")], tokenizer.Encode("𝐀 b"));
        Assert.Equal("𝐀b 𝐀 b", tokenizer.Decode(tokenizer.Encode("𝐀b 𝐀 b")));
    }

    [Fact]
    public void Loader_prefers_tokenizer_json_and_falls_back_to_slow_files_only_for_other_model_types()
    {
        using var dir = new TempDir();
        Write(dir, TokenizerJsonSeeds.Gpt2Style());
        File.WriteAllText(dir["vocab.txt"], "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
        Assert.IsType<FastTokenizer>(TokenizerLoader.FromModelDirectory(dir.Path));

        var wordPiece = TokenizerJsonSeeds.Gpt2Style();
        wordPiece["model"] = JsonNode.Parse("""{"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0}}""");
        Write(dir, wordPiece);
        Assert.IsType<BertWordPieceTokenizer>(TokenizerLoader.FromModelDirectory(dir.Path));
        File.Delete(dir["vocab.txt"]);
        Assert.Contains("model type \"WordPiece\" is not supported", Assert.Throws<InvalidDataException>(() => TokenizerLoader.FromModelDirectory(dir.Path)).Message);
    }
}
