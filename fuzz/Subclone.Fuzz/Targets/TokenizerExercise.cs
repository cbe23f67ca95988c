using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>What callers do with a loaded tokenizer: encode text, use the ids (which index the model's embedding
/// table, so they must lie below <see cref="ITextTokenizer.VocabSize"/>), decode them.</summary>
internal static class TokenizerExercise
{
    static readonly string[] Texts =
    [
        "",
        "Hello world! The cat's 3 hats.",
        "  leading, double  spaces\tand a\nnewline ",
        "héllo wörld ☃ 日本語 🙂 \u0301 \uFFFD",
        "<|endoftext|> [CLS] [UNK] ##s <s> </s> <0x41>",
        "\u0000\u0001\u007F",
    ];

    public static void Run(ITextTokenizer tokenizer)
    {
        foreach (string text in Texts)
        {
            var ids = tokenizer.Encode(text);
            foreach (int id in ids)
                if (id < 0 || id >= tokenizer.VocabSize)
                    throw new FuzzFinding($"{tokenizer.GetType().Name} encoded {text} to id {id}, outside its VocabSize {tokenizer.VocabSize}");
            tokenizer.Decode(ids);
        }
        if (tokenizer.VocabSize > 0) tokenizer.Decode([0, tokenizer.VocabSize - 1]);
    }
}
