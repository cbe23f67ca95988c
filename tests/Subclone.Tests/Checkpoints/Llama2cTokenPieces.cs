using System.Buffers.Binary;

namespace Subclone.Tests.Checkpoints;

/// <summary>
/// The byte string of every token in a llama2.c tokenizer file (run.c's build_tokenizer layout: int32
/// max_token_length, then per token float32 score, int32 length, bytes). Only used to find where a recorded
/// prompt ends; no encoding.
/// </summary>
static class Llama2cTokenPieces
{
    public static byte[][] Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        var pieces = new List<byte[]>();
        int offset = 4;
        while (offset < file.Length)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(offset + 4));
            pieces.Add(file.AsSpan(offset + 8, length).ToArray());
            offset += 8 + length;
        }
        return pieces.ToArray();
    }
}
