using System.Text.Json;
using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

public class Gpt2TokenizerTests
{
    private static readonly string Fixture = SharedData.Fixture("hf-tiny-random-gpt2");

    private static Gpt2Tokenizer Tiny() =>
        Gpt2Tokenizer.FromFiles(Path.Combine(Fixture, "vocab.json"), Path.Combine(Fixture, "merges.txt"));

    // Expected ids computed with openai/gpt-2's encoder.py algorithm (regex pre-tokenization, byte-to-unicode, ranked
    // merges) on this fixture's vocab.json/merges.txt. The whitespace case is where CodeGenTokenizer differs.
    [SharedTheory]
    [InlineData("Hello world", new[] { 40, 416, 79, 206, 750 })]
    [InlineData("The quick brown fox jumps over the lazy dog.",
        new[] { 52, 195, 755, 673, 219, 228, 574, 214, 79, 88, 536, 327, 80, 83, 547, 198, 250, 949, 89, 231, 432, 14 })]
    [InlineData(" leading  spaces\n\nnew lines\n trailing   ",
        new[] { 950, 223, 159, 405, 257, 216, 158, 158, 78, 361, 250, 828, 158, 836, 243, 223, 159, 159, 159 })]
    [InlineData("I'm, you're; they'll've 12345 3.14 $100!",
        new[] { 41, 7, 77, 12, 407, 235, 7, 202, 27, 543, 7, 800, 7, 711, 837, 19, 20, 21, 428, 14, 17, 20, 159, 4, 17, 332, 1 })]
    [InlineData("héllo 日本", new[] { 72, 125, 102, 800, 79, 159, 151, 183, 98, 151, 188, 105 })]
    public void Encodes_like_the_reference_GPT2_algorithm_and_round_trips(string text, int[] expected)
    {
        var tokenizer = Tiny();
        var ids = tokenizer.Encode(text);

        Assert.Equal(expected, ids);
        Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [SharedTheory]
    [InlineData(" the")]
    [InlineData(" and")]
    [InlineData(" was")]
    public void Whole_words_map_to_their_id_in_tokenizer_json(string word)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixture, "tokenizer.json")));
        // Byte-level BPE shows the space byte as 'Ġ'.
        int expected = json.RootElement.GetProperty("model").GetProperty("vocab").GetProperty("Ġ" + word[1..]).GetInt32();

        Assert.Equal([expected], Tiny().Encode(word));
    }

    [SharedFact]
    public void Fixture_special_token_and_size_come_from_vocab_json()
    {
        var tokenizer = Tiny();

        Assert.Equal(1000, tokenizer.VocabSize);
        Assert.Equal(0, tokenizer.BosId);
        Assert.Equal(0, tokenizer.EosId);
        // HF matches the special token's text rather than byte-encoding it.
        Assert.Equal([.. tokenizer.Encode("Hello"), 0], tokenizer.Encode("Hello<|endoftext|>"));
    }

    [Fact]
    public void Default_is_the_stock_GPT2_vocabulary()
    {
        var tokenizer = Gpt2Tokenizer.Default();

        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.Equal(50256, tokenizer.EosId);
        Assert.Equal("Hello world", tokenizer.Decode([15496, 995]));
    }

    [SharedFact]
    public void Loader_picks_BPE_files_of_a_HF_directory()
    {
        // As AutoTokenizer, the fast tokenizer.json first; the same ids either way.
        var fast = TokenizerLoader.FromModelDirectory(Fixture);
        Assert.IsType<FastTokenizer>(fast);
        Assert.Equal([40, 416, 79, 206, 750], fast.Encode("Hello world"));

        using var dir = new TempDir();
        foreach (string name in new[] { "vocab.json", "merges.txt" }) File.Copy(Path.Combine(Fixture, name), dir[name]);
        var slow = TokenizerLoader.FromModelDirectory(dir.Path);
        Assert.IsType<Gpt2Tokenizer>(slow);
        Assert.Equal([40, 416, 79, 206, 750], slow.Encode("Hello world"));
    }
}
