namespace Subclone.Models.Families;

/// <summary>Qwen3MoeForCausalLM: Qwen3's blocks (per-head q/k RMSNorm, free head_dim) with sparse experts of
/// moe_intermediate_size; blocks in mlp_only_layers, or off the decoder_sparse_step grid, keep a dense MLP of
/// intermediate_size; top-k weights are renormalised only with norm_topk_prob. A one-expert child is a Qwen3 model.</summary>
public static class Qwen3MoeFamily
{
    /// <summary>Qwen3-MoE's sparse block: mlp.gate and mlp.experts.N.gate_proj/up_proj/down_proj.</summary>
    public static MoeLayout Layout { get; } = new()
    {
        Module = "mlp", GateProj = "gate_proj", UpProj = "up_proj", DownProj = "down_proj", ExpertsKey = "num_experts",
        ExpertFfnKey = "moe_intermediate_size", NormTopKKey = "norm_topk_prob", NormTopKDefault = false, HasDenseLayers = true,
        DenseFamily = () => Qwen3Family.Descriptor,
        RoutingKeys = ["num_experts", "num_experts_per_tok", "moe_intermediate_size", "norm_topk_prob", "decoder_sparse_step",
            "mlp_only_layers", "output_router_logits", "router_aux_loss_coef"],
    };

    /// <summary>Qwen3-MoE's descriptor: Qwen3's, with experts.</summary>
    public static ModelFamily Descriptor { get; } = MoeFamilies.WithExperts(Qwen3Family.Descriptor, Layout) with
    {
        Name = "Qwen3-MoE", ModelTypes = ["qwen3_moe"], ClassName = "Qwen3MoeForCausalLM",
        Fused = FusedExperts.Split(Layout),
        Gguf = MoeGguf.Qwen3Moe(Layout),
    };
}
