namespace Subclone.Checkpoints.Llama2c;

/// <summary>
/// The Hugging Face <c>LlamaConfig</c> fields a llama2.c checkpoint determines. RmsNormEps and RopeTheta are
/// not stored in the file: they are the constants run.c hard-codes (1e-5 and 10000).
/// </summary>
public sealed record Llama2cShape(
    int Hidden,
    int Layers,
    int Heads,
    int KvHeads,
    int Ffn,
    int Vocab,
    int MaxPositions,
    bool TieWordEmbeddings,
    double RmsNormEps = 1e-5,
    double RopeTheta = 10000)
{
    /// <summary>Width of one head: hidden / heads.</summary>
    public int HeadDim => Hidden / Heads;

    /// <summary>Width of the key and value projections: head_dim × kv_heads.</summary>
    public int KvDim => HeadDim * KvHeads;
}
