namespace Subclone.Models;

/// <summary>
/// A mixture-of-experts model's routing shape, beside the neutral widths of <see cref="ModelConfig"/>: how many
/// experts each sparse block has, how many each token is routed to, each expert's FFN width, whether the top-k
/// gate weights are renormalised to sum to one, and which blocks are sparse at all (Qwen3-MoE's
/// <c>mlp_only_layers</c> and <c>decoder_sparse_step</c>: the others have one dense MLP of <see cref="ModelConfig.Ffn"/>).
/// </summary>
/// <param name="Experts">Experts per sparse block (num_local_experts / num_experts).</param>
/// <param name="TopK">Experts each token is routed to (num_experts_per_tok).</param>
/// <param name="ExpertFfn">Each expert's FFN width (moe_intermediate_size, or intermediate_size where the config has one width).</param>
/// <param name="NormTopK">Divide the k chosen softmax probabilities by their sum (Mixtral always; norm_topk_prob elsewhere).</param>
/// <param name="DenseLayers">Blocks listed as dense (mlp_only_layers).</param>
/// <param name="SparseStep">Block l is sparse when (l + 1) is a multiple of this (decoder_sparse_step) and l is not listed dense.</param>
public sealed record MoeShape(int Experts, int TopK, int ExpertFfn, bool NormTopK, IReadOnlyList<int> DenseLayers, int SparseStep = 1)
{
    /// <summary>Whether block <paramref name="layer"/> routes tokens to experts, as HF's decoder layer decides it.</summary>
    public bool IsSparse(int layer) => Experts > 0 && (layer + 1) % SparseStep == 0 && !DenseLayers.Contains(layer);

    /// <summary>The shape of a child whose block i is the parent's block <paramref name="layerMap"/>[i]: each child
    /// block stays sparse or dense as its parent block was, said with an explicit dense list and step 1.</summary>
    public MoeShape ForLayers(IReadOnlyList<int> layerMap) => this with
    {
        DenseLayers = Enumerable.Range(0, layerMap.Count).Where(i => !IsSparse(layerMap[i])).ToArray(),
        SparseStep = 1,
    };

    /// <summary>Equal when every field is, the dense list element by element.</summary>
    public bool Equals(MoeShape? other) => other is not null && Experts == other.Experts && TopK == other.TopK
        && ExpertFfn == other.ExpertFfn && NormTopK == other.NormTopK && SparseStep == other.SparseStep
        && DenseLayers.SequenceEqual(other.DenseLayers);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Experts, TopK, ExpertFfn, NormTopK, SparseStep, DenseLayers.Count);
}
