namespace Subclone.Models.Families;

/// <summary>MixtralForCausalLM: Mistral's blocks with a sparse mixture of experts (block_sparse_moe: a router and
/// experts w1 / w3 / w2); the top-k gate weights are always renormalised. A one-expert child is a Mistral model.</summary>
public static class MixtralFamily
{
    /// <summary>Mixtral's sparse block: per-expert block_sparse_moe.experts.N.w1/w2/w3, num_local_experts.</summary>
    public static MoeLayout Layout { get; } = new()
    {
        Module = "block_sparse_moe", GateProj = "w1", UpProj = "w3", DownProj = "w2", ExpertsKey = "num_local_experts",
        DenseFamily = () => MistralFamily.Descriptor,
        RoutingKeys = ["num_local_experts", "num_experts_per_tok", "output_router_logits", "router_aux_loss_coef", "router_jitter_noise"],
    };

    /// <summary>Mixtral's descriptor: Mistral's, with experts.</summary>
    public static ModelFamily Descriptor { get; } = MoeFamilies.WithExperts(MistralFamily.Descriptor, Layout) with
    {
        Name = "Mixtral", ModelTypes = ["mixtral"], ClassName = "MixtralForCausalLM",
        Options = LlamaOptions.Llama with { SlidingWindows = SlidingWindows.WhenSet, HasAttentionBiasKey = false, HasMlpBiasKey = false, NormEpsDefault = 1e-5, MaxPositionsDefault = 4096 * 32 },
        CanonicalName = (c, key) => FusedExperts.CanonicalName(LlamaCanonical(c, key), "mlp.gate.", "block_sparse_moe.gate."),
        Fused = FusedExperts.Split(Layout),
        Gguf = MoeGguf.Mixtral(Layout),
    };

    static string? LlamaCanonical(ModelConfig c, string key) => MistralFamily.Descriptor.CanonicalName(c, key);
}
