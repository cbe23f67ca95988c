namespace Subclone.Models.Families;

/// <summary>OlmoeForCausalLM: pre-norm Llama blocks with q/k RMSNorm over the whole projection width (q over
/// heads·head_dim, k over kv_heads·head_dim) and sparse experts; top-k weights are renormalised only with
/// norm_topk_prob. head_dim is hidden / heads; clip_qkv is refused (ForwardFields). No dense family shares its blocks (see <see cref="MoeLayout.DenseRefusal"/>).</summary>
public static class OlmoeFamily
{
    /// <summary>OLMoE's sparse block: mlp.gate and mlp.experts.N.gate_proj/up_proj/down_proj.</summary>
    public static MoeLayout Layout { get; } = new()
    {
        Module = "mlp", GateProj = "gate_proj", UpProj = "up_proj", DownProj = "down_proj", ExpertsKey = "num_experts",
        NormTopKKey = "norm_topk_prob", NormTopKDefault = false,
        DenseRefusal = "OLMoE normalises each sublayer's input (input_layernorm, post_attention_layernorm) and OLMo 2 each "
            + "sublayer's output (post_attention_layernorm, post_feedforward_layernorm), so no dense family computes an OLMoE block",
        RoutingKeys = ["num_experts", "num_experts_per_tok", "norm_topk_prob", "output_router_logits", "router_aux_loss_coef"],
    };

    /// <summary>OLMoE's descriptor: Llama's with full-width q/k norms, with experts.</summary>
    public static ModelFamily Descriptor { get; } = MoeFamilies.WithExperts(LlamaFamily.Descriptor, Layout) with
    {
        Name = "OLMoE", ModelTypes = ["olmoe"], ClassName = "OlmoeForCausalLM", PrependsBos = false, FreeHeadDim = false,
        Options = LlamaOptions.Llama with { QkNorm = QkNorm.FullWidth, HasMlpBiasKey = false, NormEpsDefault = 1e-5, MaxPositionsDefault = 4096 },
        Fused = FusedExperts.Split(Layout),
        Gguf = MoeGguf.Olmoe(Layout),
    };
}
