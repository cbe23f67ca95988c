namespace Subclone.Checkpoints;

/// <summary>The hyper-parameters of a Hugging Face BertModel that its tensors (and graph) determine.</summary>
public sealed record BertShape(
    int Hidden,
    int Layers,
    int Heads,
    int Ffn,
    int Vocab,
    int MaxPositions,
    int TypeVocab,
    double NormEps)
{
    /// <summary>Width of one head: hidden / heads.</summary>
    public int HeadDim => Hidden / Heads;
}
