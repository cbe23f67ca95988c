using System.Security.Cryptography;
using Subclone.Data.Tokenizers;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

/// <summary>The tokenizer.json reader against Hugging Face's own encodings of the real Llama 2, Llama 3, Qwen3 and
/// Gemma 3 files (../shared/fixtures/tokenizers/expected.json).</summary>
public class FastTokenizerTests
{
    [RealTokenizerTheory]
    [MemberData(nameof(RealTokenizers.AllCases), MemberType = typeof(RealTokenizers))]
    public void Encodes_exactly_as_hugging_face(string name, int index)
    {
        var tokenizer = RealTokenizers.Load(name);
        var expected = RealTokenizers.Cases(name)[index];

        int[] ids = tokenizer.Encode(expected.Text, expected.AddSpecialTokens);

        Assert.Equal(expected.Ids, ids);
        Assert.Equal(expected.Tokens, tokenizer.Tokens(ids));
        if (!expected.AddSpecialTokens) Assert.Equal(expected.Ids, tokenizer.Encode(expected.Text));
    }

    [RealTokenizerTheory]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void The_installed_file_is_the_one_expected_json_was_made_from(string name)
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(RealTokenizers.File(name))));
        Assert.Equal(RealTokenizers.Entry(name).GetProperty("sha256").GetString(), sha);
    }

    // Byte-level BPE (Llama 3, Qwen3: every text here is already NFC) and Gemma 3 lose nothing; Llama 2's Prepend
    // normalizer puts a "▁" before every stretch between added tokens, so a text holding "<s>" or "</s>" comes back with
    // extra spaces (Hugging Face's own decode does the same).
    [RealTokenizerTheory]
    [MemberData(nameof(RealTokenizers.AllCases), MemberType = typeof(RealTokenizers))]
    public void Decodes_back_to_the_text(string name, int index)
    {
        var tokenizer = RealTokenizers.Load(name);
        var expected = RealTokenizers.Cases(name)[index];
        if (name == "llama2" && expected.Text.Contains("<s>")) return;

        if (!expected.AddSpecialTokens) Assert.Equal(expected.Text, tokenizer.Decode(expected.Ids));
        // With special tokens, skipping them in decode leaves the text's own (unframed) decode.
        var unframed = RealTokenizers.Cases(name).Single(c => c.Text == expected.Text && !c.AddSpecialTokens);
        Assert.Equal(tokenizer.Decode(unframed.Ids, skipSpecialTokens: true), tokenizer.Decode(expected.Ids, skipSpecialTokens: true));
    }

    [RealTokenizerTheory]
    [InlineData("llama2", 1, 2)]
    [InlineData("llama3", 128000, 128001)]
    [InlineData("qwen3", null, 151645)]
    [InlineData("gemma3", 2, 106)]
    public void Bos_and_eos_come_from_tokenizer_config(string name, int? bos, int? eos)
    {
        var tokenizer = RealTokenizers.Load(name);
        Assert.Equal(bos, tokenizer.BosId);
        Assert.Equal(eos, tokenizer.EosId);
    }

    // Qwen3's merges run in Microsoft.ML.Tokenizers' BpeTokenizer; with byte_fallback set (which never triggers: every
    // byte-level character is in the vocabulary) the same file runs through Subclone's own merge loop instead.
    // The two must agree on any text.
    [RealTokenizerFact]
    public void The_library_and_the_hand_written_merges_agree_on_random_text()
    {
        var library = RealTokenizers.Load("qwen3");
        using var dir = new TempDir();
        string json = File.ReadAllText(RealTokenizers.File("qwen3"));
        Assert.Contains("\"byte_fallback\": false", json);
        File.WriteAllText(dir["tokenizer.json"], json.Replace("\"byte_fallback\": false", "\"byte_fallback\": true"));
        var handWritten = FastTokenizer.Load(dir["tokenizer.json"]);

        var random = new Random(13);
        string[] alphabet = ["a", "e", "t", "h", "s", "n", "T", "I", " ", "  ", "'", "s", "\n", "\t", "1", "7", ".", ",", "(", "é", "ü", "日", "本", "🙂", "𝐀", "-", "_"];
        for (int n = 0; n < 300; n++)
        {
            string text = string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            Assert.Equal(library.Encode(text), handWritten.Encode(text));
        }
    }
}
