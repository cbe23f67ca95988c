using System.Buffers.Binary;
using Subclone.Data.Tokenizers;

namespace Subclone.Fuzz;

/// <summary>
/// A llama2.c tokenizer.bin. The file does not store its vocabulary size, which comes from the checkpoint (or the
/// model) it is used with, so the input's first two bytes give it (little-endian, so the fuzzer tries small and
/// mismatched sizes too) and the rest is the file.
/// </summary>
internal static class Llama2cTokenizerTarget
{
    public static FuzzTarget Target { get; } = new("llama2c-tokenizer", "uint16 vocab size, then tokenizer.bin", Run);

    static bool Run(byte[] input)
    {
        if (input.Length < 2) return false;
        int vocabSize = BinaryPrimitives.ReadUInt16LittleEndian(input);
        using var scratch = new Scratch();
        string path = scratch.Write("tokenizer.bin", input.AsSpan(2));
        return Refusal.Accepts(scratch, () => TokenizerExercise.Run(Llama2cTokenizer.Load(path, vocabSize)));
    }
}
