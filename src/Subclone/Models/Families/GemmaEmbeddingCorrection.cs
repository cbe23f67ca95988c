namespace Subclone.Models.Families;

/// <summary>
/// The slicing correction Gemma needs beyond √(n/n'). Gemma's forward multiplies the embedding rows by √hidden, so a
/// child of width d' computes E'[t]·√d' where its parent computed E[t]·√D. Keeping the child's residual stream equal
/// to the parent's on the kept dims K, E'[t]·√d' = E[t, K]·√D, gives E' = E[:, K]·√(D/d').
/// With a tied head the same matrix is the head, whose input (the final norm's output, now over d' dims) shrank from
/// D to d': the √(n/n') rule would scale an untied lm_head by exactly √(D/d'), which the corrected rows already carry,
/// so a tied child's logits get the same compensation an untied one's do, neither missing nor doubled.
/// </summary>
public static class GemmaEmbeddingCorrection
{
    /// <summary>The tensor the correction applies to.</summary>
    public const string EmbeddingName = "model.embed_tokens.weight";

    /// <summary>The factor for child tensor <paramref name="childName"/> (the family's <see cref="SlicingCorrection"/>):
    /// √(D/d') on the embedding, D the parent's width and d' = <paramref name="kept"/>'s residual dims; else 1. It is
    /// exact compensation for a forward that depends on the width, not a heuristic, so --no-scale leaves it on.</summary>
    public static double Factor(ModelConfig parent, KeptUnits kept, string childName) =>
        childName == EmbeddingName && kept.ResidualDims.Length != parent.Hidden
            ? Math.Sqrt((double)parent.Hidden / kept.ResidualDims.Length)
            : 1;
}
