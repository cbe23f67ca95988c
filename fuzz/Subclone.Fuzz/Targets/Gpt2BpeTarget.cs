using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>A GPT-2 model directory's vocab.json and merges.txt (the input split at its first NUL), loaded as
/// <see cref="TokenizerLoader"/> finds them, then used.</summary>
internal static class Gpt2BpeTarget
{
    public static FuzzTarget Target { get; } = new("gpt2-bpe", "vocab.json NUL merges.txt", Run);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        var (vocab, merges, _) = InputParts.SplitAtNul(input);
        scratch.Write("vocab.json", vocab);
        scratch.Write("merges.txt", merges);
        return Refusal.Accepts(scratch, () => TokenizerExercise.Run(TokenizerLoader.FromModelDirectory(scratch.Directory)!));
    }
}
