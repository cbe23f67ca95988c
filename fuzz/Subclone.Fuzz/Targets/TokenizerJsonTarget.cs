using Subclone.Checkpoints;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>A model directory's tokenizer.json and tokenizer_config.json (the input split at its first NUL; no
/// config file when there is no NUL), loaded as <see cref="TokenizerLoader"/> finds them, then used.</summary>
internal static class TokenizerJsonTarget
{
    public static FuzzTarget Target { get; } = new("tokenizer-json", "tokenizer.json NUL tokenizer_config.json", Run);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        var (tokenizer, config, hasConfig) = InputParts.SplitAtNul(input);
        scratch.Write("tokenizer.json", tokenizer);
        if (hasConfig) scratch.Write("tokenizer_config.json", config);
        return Refusal.Accepts(scratch, () => TokenizerExercise.Run(TokenizerLoader.FromModelDirectory(scratch.Directory)!));
    }
}
