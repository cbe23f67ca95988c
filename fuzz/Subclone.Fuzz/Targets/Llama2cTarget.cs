using Subclone.Checkpoints;
using Subclone.Checkpoints.Llama2c;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>
/// A llama2.c checkpoint (.bin): the header is checked against the file's length, the weights imported as a
/// Hugging Face Llama, and the tokenizer beside it looked for (there is none, so that returns null). Almost every
/// mutation of a header breaks the exact length it must imply, so each input is also tried resized to that length
/// (when small): that way header mutations reach the importer instead of all stopping at the length check.
/// </summary>
internal static class Llama2cTarget
{
    public static FuzzTarget Target { get; } = new("llama2c", "a legacy llama2.c checkpoint .bin", Run);

    const long MaxResized = 1 << 20;

    static bool Run(byte[] input)
    {
        bool accepted = Import(input);
        if (Llama2cLayout.ByteCount(input) is long length && length != input.Length && length <= MaxResized)
        {
            var resized = new byte[length];
            input.AsSpan(0, (int)Math.Min(length, input.Length)).CopyTo(resized);
            Import(resized);
        }
        return accepted;
    }

    static bool Import(byte[] file)
    {
        using var scratch = new Scratch();
        string path = scratch.Write("model.bin", file);
        return Refusal.Accepts(scratch, () =>
        {
            using var model = Llama2cConfig.Load(path);
            TokenizerLoader.FromLlama2cCheckpoint(path);
        });
    }
}
