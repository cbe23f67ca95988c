using static TorchSharp.torch;

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

    /// <summary>The factor for child tensor <paramref name="childName"/> cut from a parent of width
    /// <paramref name="parentHidden"/> to <paramref name="childHidden"/> residual dims: √(D/d') on the embedding, else 1.</summary>
    public static double Factor(string childName, int parentHidden, int childHidden) =>
        childName == EmbeddingName && childHidden != parentHidden ? Math.Sqrt((double)parentHidden / childHidden) : 1;

    /// <summary><paramref name="sliced"/> (the child's tensor, already cut) with the correction applied.</summary>
    public static Tensor Apply(string childName, Tensor sliced, int parentHidden, int childHidden)
    {
        double factor = Factor(childName, parentHidden, childHidden);
        return factor == 1 ? sliced : sliced * factor;
    }
}
