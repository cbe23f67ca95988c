using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// The mixture-of-experts families as llama.cpp runs them (convert_hf_to_gguf.py's MixtralModel, Qwen3MoeModel,
/// OlmoeModel): the router as <c>ffn_gate_inp</c> [experts, hidden], every expert's gate / up / down projection stacked
/// into <c>ffn_gate_exps</c> / <c>ffn_up_exps</c> / <c>ffn_down_exps</c> [experts, …], and the expert counts. llama.cpp's
/// graphs fix whether the top-k weights are renormalised (Mixtral's and Qwen3-MoE's do, OLMoE's does not) and make
/// every block sparse, so a config that differs is refused.
/// </summary>
public static class MoeGguf
{
    static GgufTensorRule Rule(string hf, string gguf) => LlamaGguf.Rule(hf, gguf);

    static GgufTensorRule[] Experts(MoeLayout layout) =>
    [
        Rule(layout.Module + ".gate", "ffn_gate_inp"),
        Rule(layout.ExpertPrefix + layout.GateProj, "ffn_gate_exps"),
        Rule(layout.ExpertPrefix + layout.UpProj, "ffn_up_exps"),
        Rule(layout.ExpertPrefix + layout.DownProj, "ffn_down_exps"),
    ];

    static void ExpertMetadata(string arch, ModelConfig c, GgufMetadata m, bool expertWidth)
    {
        var moe = c.Moe!;
        m.Add($"{arch}.expert_count", (uint)moe.Experts).Add($"{arch}.expert_used_count", (uint)moe.TopK);
        if (expertWidth) m.Add($"{arch}.expert_feed_forward_length", (uint)moe.ExpertFfn);
    }

    /// <summary>Refuses what the MoE graph cannot compute: dense blocks between sparse ones, the other top-k normalisation.</summary>
    static Action<ModelConfig, string> Check(bool graphNormalises, string normField) => (c, path) =>
    {
        LlamaGguf.Check(c, path);
        var moe = c.Moe ?? throw new InvalidOperationException("an MoE GGUF mapping on a config without experts");
        if (moe.NormTopK != graphNormalises)
        {
            string graph = graphNormalises ? "renormalises" : "does not renormalise";
            throw new CheckpointException(path, $"field '{normField}' {moe.NormTopK.ToString().ToLowerInvariant()} has no llama.cpp equivalent "
                + $"(its {c.Family.Gguf!.Architecture} graph {graph} the top-k weights)");
        }
        int[] dense = Enumerable.Range(0, c.Layers).Where(l => !moe.IsSparse(l)).ToArray();
        if (dense.Length > 0)
            throw new CheckpointException(path, $"field 'mlp_only_layers' / 'decoder_sparse_step' make block(s) {string.Join(", ", dense)} dense; "
                + $"llama.cpp's {c.Family.Gguf!.Architecture} graph has experts in every block");
    };

    /// <summary>Mixtral (its <paramref name="layout"/>): llama.cpp's <c>llama</c> architecture with experts (q/k permuted as for Llama).</summary>
    public static GgufMapping Mixtral(MoeLayout layout) => LlamaGguf.Llama with
    {
        Tensors = LlamaGguf.Rules(permuteQk: true, Experts(layout)),
        Metadata = (c, m) => { LlamaGguf.CommonMetadata("llama", c, m); ExpertMetadata("llama", c, m, expertWidth: false); },
        Validate = Check(graphNormalises: true, "num_experts_per_tok"),
    };

    /// <summary>Qwen3-MoE (its <paramref name="layout"/>): the <c>qwen3moe</c> architecture (Qwen3's per-head q/k norms, experts of moe_intermediate_size).</summary>
    public static GgufMapping Qwen3Moe(MoeLayout layout) => LlamaGguf.Qwen3 with
    {
        Architecture = "qwen3moe",
        Tensors = LlamaGguf.Rules(permuteQk: false, [Rule("self_attn.q_norm", "attn_q_norm"), Rule("self_attn.k_norm", "attn_k_norm"), .. Experts(layout)]),
        Metadata = (c, m) => { LlamaGguf.CommonMetadata("qwen3moe", c, m); ExpertMetadata("qwen3moe", c, m, expertWidth: true); },
        Validate = Check(graphNormalises: true, "norm_topk_prob"),
    };

    /// <summary>
    /// HF's grouped-query attention lets query head h use k/v head h / (heads / kv_heads); repeating each k/v head's
    /// rows that many times computes the same attention with one k/v head per query head. OLMoE needs it because
    /// llama.cpp's olmoe graph norms k over the full hidden width: the RMS over repeated values is the RMS over the
    /// originals, so the full-width k_norm, its weight repeated the same way, gives the same keys.
    /// </summary>
    static torch.Tensor RepeatKv(ModelConfig c, torch.Tensor t)
    {
        int groups = c.Heads / c.KvHeads;
        long[] rest = t.shape[1..];
        using var split = t.reshape([c.KvHeads, 1, c.HeadDim, .. rest]);
        using var repeated = split.expand([c.KvHeads, groups, c.HeadDim, .. rest]);
        return repeated.reshape([c.Heads * c.HeadDim, .. rest]);
    }

    /// <summary>OLMoE (its <paramref name="layout"/>): the <c>olmoe</c> architecture (full-width q/k norms, pre-norm blocks, experts).</summary>
    public static GgufMapping Olmoe(MoeLayout layout) => LlamaGguf.Llama with
    {
        Architecture = "olmoe", BpePreTokenizer = "olmo",
        Tensors = LlamaGguf.Rules(permuteQk: false,
        [
            Rule("self_attn.q_norm", "attn_q_norm"),
            Rule("self_attn.k_norm", "attn_k_norm") with { Relayout = RepeatKv },
            Rule("self_attn.k_proj", "attn_k") with { Relayout = RepeatKv },
            Rule("self_attn.v_proj", "attn_v") with { Relayout = RepeatKv },
            .. Experts(layout),
        ]),
        Metadata = (c, m) => { LlamaGguf.CommonMetadata("olmoe", c, m, kvHeads: c.Heads); ExpertMetadata("olmoe", c, m, expertWidth: false); },
        Validate = Check(graphNormalises: false, "norm_topk_prob"),
        ExtraTensors = null,
    };
}
