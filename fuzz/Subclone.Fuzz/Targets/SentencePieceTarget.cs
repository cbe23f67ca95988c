using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>A SentencePiece tokenizer.model (protobuf) in a model directory, loaded as <see cref="TokenizerLoader"/>
/// finds it, then used.</summary>
internal static class SentencePieceTarget
{
    public static FuzzTarget Target { get; } = new("sentencepiece", "tokenizer.model", Run);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        scratch.Write("tokenizer.model", input);
        return Refusal.Accepts(scratch, () => TokenizerExercise.Run(TokenizerLoader.FromModelDirectory(scratch.Directory)!));
    }
}
