using System.Runtime.InteropServices;

namespace Subclone.Tests.Checkpoints;

/// <summary>
/// Writes small llama2.c checkpoints with random weights (and deliberately broken ones) for the importer tests.
/// The float count is worked out here from run.c's layout, independently of the importer.
/// </summary>
static class Llama2cTestFiles
{
    public record Header(int Dim, int Hidden, int Layers, int Heads, int KvHeads, int Vocab, int SeqLen)
    {
        public int[] Ints => [Dim, Hidden, Layers, Heads, KvHeads, Vocab, SeqLen];

        /// <summary>Floats after the header for a well-formed file; a negative Vocab adds wcls.</summary>
        public long FloatCount()
        {
            long vocab = Math.Abs((long)Vocab), kvDim = (long)Dim * KvHeads / Heads, headSize = Dim / Heads;
            long count = vocab * Dim + Layers * (2L * Dim + 2L * Dim * Dim + 2L * kvDim * Dim + 3L * Hidden * Dim)
                + Dim + 2 * SeqLen * (headSize / 2);
            return Vocab < 0 ? count + vocab * Dim : count;
        }
    }

    /// <summary>Small GQA model (2 query heads per KV head, two layers, head size 4).</summary>
    public static Header Small(bool shared) => new(Dim: 16, Hidden: 24, Layers: 2, Heads: 4, KvHeads: 2,
        Vocab: shared ? 20 : -20, SeqLen: 8);

    public static byte[] Bytes(Header header, long floatCount, int seed = 1)
    {
        var random = new Random(seed);
        var floats = new float[floatCount];
        for (long i = 0; i < floatCount; i++) floats[i] = (float)(random.NextDouble() * 2 - 1) * 0.5f;
        return [.. MemoryMarshal.AsBytes(header.Ints.AsSpan()), .. MemoryMarshal.AsBytes(floats.AsSpan())];
    }

    public static byte[] Bytes(Header header, int seed = 1) => Bytes(header, header.FloatCount(), seed);
}
