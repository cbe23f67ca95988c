namespace Subclone.Models.Families;

/// <summary>Olmo2ForCausalLM: Llama with norms on the sublayers' outputs only (post_attention_layernorm,
/// post_feedforward_layernorm, before each residual add) and q/k RMSNorm over the whole projection width.</summary>
public static class Olmo2Family
{
    /// <summary>OLMo 2's descriptor: Llama's, with its names, <see cref="QkNorm.FullWidth"/> and post-sublayer norms.</summary>
    public static ModelFamily Descriptor { get; } = LlamaFamily.Descriptor with
    {
        Name = "OLMo 2", ModelTypes = ["olmo2"], ClassName = "Olmo2ForCausalLM", PrependsBos = false, Gguf = LlamaGguf.Olmo2,
        Options = LlamaOptions.Llama with { QkNorm = QkNorm.FullWidth, PostSublayerNorms = true, HasMlpBiasKey = false, NormEpsDefault = 1e-5 },
    };
}
