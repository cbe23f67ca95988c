namespace Subclone.Models.Families;

/// <summary>
/// Gemma3ForCausalLM (model_type gemma3_text): Gemma 2 with (1+w) q/k norms, sliding layers on default RoPE with
/// rope_local_base_freq and full layers on rope_theta with rope_scaling, the attention pattern from layer_types or
/// sliding_window_pattern, and no soft-capping by default.
/// </summary>
public static class Gemma3Family
{
    /// <summary>Gemma 3 text's descriptor: Gemma 2's, with its names and <see cref="GemmaOptions.Gemma3"/>.</summary>
    public static ModelFamily Descriptor { get; } = Gemma2Family.Descriptor with
    {
        Name = "Gemma 3", ModelTypes = ["gemma3_text"], ClassName = "Gemma3ForCausalLM", Options = GemmaOptions.Gemma3,
        Gguf = GemmaGguf.Gemma3,
    };
}
