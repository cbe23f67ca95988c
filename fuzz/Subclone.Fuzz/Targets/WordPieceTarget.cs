using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>A BERT model directory's vocab.txt, and its tokenizer_config.json after a NUL when the input has one,
/// loaded as <see cref="TokenizerLoader"/> finds them, then used.</summary>
internal static class WordPieceTarget
{
    public static FuzzTarget Target { get; } = new("wordpiece", "vocab.txt [NUL tokenizer_config.json]", Run);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        var (vocab, config, hasConfig) = InputParts.SplitAtNul(input);
        scratch.Write("vocab.txt", vocab);
        if (hasConfig) scratch.Write("tokenizer_config.json", config);
        return Refusal.Accepts(scratch, () => TokenizerExercise.Run(TokenizerLoader.FromModelDirectory(scratch.Directory)!));
    }
}
