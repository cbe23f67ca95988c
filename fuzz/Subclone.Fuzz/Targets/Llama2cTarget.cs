using Subclone.Checkpoints.Llama2c;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>A llama2.c checkpoint (.bin): the header is checked against the file's length, the weights imported as a
/// Hugging Face Llama, and the tokenizer beside it looked for (there is none, so that returns null).</summary>
internal static class Llama2cTarget
{
    public static FuzzTarget Target { get; } = new("llama2c", "a legacy llama2.c checkpoint .bin", Run);

    static bool Run(byte[] input)
    {
        using var scratch = new Scratch();
        string path = scratch.Write("model.bin", input);
        return Refusal.Accepts(scratch, () =>
        {
            using var model = Llama2cConfig.Load(path);
            TokenizerLoader.FromLlama2cCheckpoint(path);
        });
    }
}
