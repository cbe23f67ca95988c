namespace Subclone.Fuzz;

/// <summary>Tiny legacy llama2.c checkpoints: shared and separate classifier, multi-head and grouped-query attention.</summary>
internal static class Llama2cSeeds
{
    public static IEnumerable<Seed> All()
    {
        yield return Checkpoint("valid-shared.bin", dim: 8, hidden: 8, layers: 1, heads: 2, kvHeads: 2, vocab: 6, seqLen: 4);
        yield return Checkpoint("valid-separate-gqa.bin", dim: 8, hidden: 12, layers: 2, heads: 2, kvHeads: 1, vocab: -6, seqLen: 2);
    }

    /// <summary>run.c's 7-int header, then as many floats as it implies (a negative vocab: separate classifier).</summary>
    static Seed Checkpoint(string name, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen)
    {
        int v = Math.Abs(vocab), headSize = dim / heads, kvDim = headSize * kvHeads;
        int floats = v * dim + layers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hidden * dim) + dim
            + 2 * seqLen * (headSize / 2) + (vocab < 0 ? v * dim : 0);
        int[] header = [dim, hidden, layers, heads, kvHeads, vocab, seqLen];
        byte[] bytes =
        [
            .. header.SelectMany(h => BitConverter.GetBytes(h)),
            .. Enumerable.Range(0, floats).SelectMany(i => BitConverter.GetBytes((i % 17 - 8) / 64f)),
        ];
        return new Seed("llama2c", name, bytes);
    }
}
