using Subclone.Data.Tokenizers;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

public class SentencePieceTextTokenizerTests
{
    private static SentencePieceTextTokenizer Tok512() =>
        SentencePieceTextTokenizer.Load(SharedData.Data("stories260K/tok512.model"));

    [SharedTheory]
    [InlineData("Once upon a time")]
    [InlineData("Tom had a red ball")]
    [InlineData("Lily saw 日本 and a café!\nThe end.")]
    [InlineData("x")] // one character: Microsoft.ML.Tokenizers 2.0.1 alone returns no ids
    [InlineData("!")]
    [InlineData("a b")]
    public void Encodes_like_the_llama2c_tokenizer(string text)
    {
        var expected = Llama2cTokenizerTests.Tok512().Encode(text);
        var tokenizer = Tok512();

        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(expected));
    }

    [SharedFact]
    public void Collapses_extra_whitespace_like_SentencePiece_unlike_run_c()
    {
        // tok512.model was trained with remove_extra_whitespaces; run.c ignores that setting.
        var tokenizer = Tok512();
        string spaced = "  two leading spaces, and   runs of them ";

        Assert.Equal(tokenizer.Encode("two leading spaces, and runs of them"), tokenizer.Encode(spaced));
        Assert.NotEqual(Llama2cTokenizerTests.Tok512().Encode(spaced), tokenizer.Encode(spaced));
        Assert.Equal(tokenizer.Encode("x"), tokenizer.Encode("  x "));
    }

    [SharedFact]
    public void Encodes_reference_prompts_as_run_c_did()
    {
        var tokenizer = Tok512();
        foreach (var c in Llama2cTokenizerTests.ReferenceCases())
        {
            var prompt = tokenizer.Encode(c.Prompt);
            Assert.NotEmpty(prompt);
            Assert.Equal(c.Ids[1..(1 + prompt.Count)], prompt);
        }
    }

    [SharedFact]
    public void Specials_and_size_come_from_the_model()
    {
        var tokenizer = Tok512();

        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Empty(tokenizer.Encode(""));
    }
}
