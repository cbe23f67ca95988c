namespace Subclone.Models.Families;

/// <summary>Qwen3ForCausalLM (dense): Llama with a per-head RMSNorm on queries and keys over head_dim before RoPE,
/// an explicit head_dim (128 by default), attention_bias on all four projections.</summary>
public static class Qwen3Family
{
    /// <summary>Qwen3's descriptor: Llama's, with its names and <see cref="QkNorm.PerHead"/>.</summary>
    public static ModelFamily Descriptor { get; } = LlamaFamily.Descriptor with
    {
        Name = "Qwen3", ModelTypes = ["qwen3"], ClassName = "Qwen3ForCausalLM", PrependsBos = false,
        Options = LlamaOptions.Llama with { SlidingWindows = SlidingWindows.Switched, QkNorm = QkNorm.PerHead, HasMlpBiasKey = false, HeadDimDefault = 128, MaxPositionsDefault = 32768 },
        PerLayerFields = [PerLayerField.List("layer_types"), PerLayerField.Threshold("max_window_layers")],
        ImplementedFields = ["sliding_window", "use_sliding_window", "layer_types"],
    };
}
