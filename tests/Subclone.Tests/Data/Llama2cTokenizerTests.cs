using System.Text.Json;
using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

public class Llama2cTokenizerTests
{
    private static readonly string Dir = SharedData.Data("stories260K");

    internal static Llama2cTokenizer Tok512() => Llama2cTokenizer.Load(Path.Combine(Dir, "tok512.bin"), 512);

    internal sealed record ReferenceCase(string Prompt, int[] Ids, string Text);

    /// <summary>Greedy samples produced by llama2.c's run.c: BOS, the prompt's tokens, then generated tokens.</summary>
    internal static IReadOnlyList<ReferenceCase> ReferenceCases()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "greedy_reference.json")));
        return json.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new ReferenceCase(
                c.GetProperty("prompt").GetString()!,
                c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                c.GetProperty("text").GetString()!))
            .ToList();
    }

    [SharedFact]
    public void Encodes_prompts_as_run_c_did()
    {
        var tokenizer = Tok512();
        var cases = ReferenceCases();

        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var prompt = tokenizer.Encode(c.Prompt);
            Assert.Equal(1, c.Ids[0]);
            Assert.Equal(c.Ids[1..(1 + prompt.Count)], prompt);
            // The prompt must be exactly those tokens, not a prefix of a longer tokenization.
            Assert.Equal(c.Prompt, tokenizer.Decode(c.Ids[..(1 + prompt.Count)]));
        }
    }

    [SharedFact]
    public void Known_prompt_tokens()
    {
        // ids[1..5] of the first reference case: " Once", " upon", " a", " time".
        Assert.Equal([403, 407, 261, 378], Tok512().Encode("Once upon a time"));
    }

    [SharedFact]
    public void Decodes_reference_samples_to_run_c_output()
    {
        var tokenizer = Tok512();
        foreach (var c in ReferenceCases())
        {
            // run.c prints a final newline after the last token.
            Assert.Equal(c.Text, tokenizer.Decode(c.Ids) + "\n");
        }
    }

    [SharedFact]
    public void Falls_back_to_byte_tokens_and_round_trips()
    {
        var tokenizer = Tok512();
        string text = "Lily saw 日本 and a café!\nThe end.";

        var ids = tokenizer.Encode(text);

        // '日' (E6 97 A5) is not in a 512-piece vocabulary, so its UTF-8 bytes appear as <0xXX> ids, byte + 3.
        Assert.Contains(0xE6 + 3, ids);
        Assert.Contains(0xA5 + 3, ids);
        Assert.All(ids, id => Assert.InRange(id, 3, 511));
        Assert.Equal(text, tokenizer.Decode(ids));
    }

    [SharedFact]
    public void Empty_text_has_no_dummy_prefix()
    {
        var tokenizer = Tok512();

        Assert.Empty(tokenizer.Encode(""));
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
    }

    [SharedFact]
    public void Loader_reads_the_vocab_size_from_the_checkpoint_header()
    {
        var tokenizer = TokenizerLoader.FromModelDirectory(Dir);

        var llama2c = Assert.IsType<Llama2cTokenizer>(tokenizer);
        Assert.Equal(512, llama2c.VocabSize);
        Assert.Equal([403, 407, 261, 378], llama2c.Encode("Once upon a time"));
    }

    [SharedFact]
    public void Finds_the_tokenizer_beside_a_checkpoint()
    {
        var tokenizer = TokenizerLoader.FromLlama2cCheckpoint(Path.Combine(Dir, "stories260K.bin"));

        Assert.NotNull(tokenizer);
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal("Once upon a time", tokenizer.Decode([1, 403, 407, 261, 378]));
    }
}
