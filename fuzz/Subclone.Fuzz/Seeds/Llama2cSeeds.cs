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
        int[] header = [dim, hidden, layers, heads, kvHeads, vocab, seqLen];
        byte[] headerBytes = [.. header.SelectMany(h => BitConverter.GetBytes(h))];
        int floats = (int)(Llama2cLayout.ByteCount(headerBytes)!.Value - Llama2cLayout.HeaderBytes) / sizeof(float);
        byte[] bytes = [.. headerBytes, .. Enumerable.Range(0, floats).SelectMany(i => BitConverter.GetBytes((i % 17 - 8) / 64f))];
        return new Seed("llama2c", name, bytes);
    }
}
