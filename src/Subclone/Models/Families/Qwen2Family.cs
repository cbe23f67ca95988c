namespace Subclone.Models.Families;

/// <summary>Qwen2ForCausalLM: Llama with biases on q/k/v and none on o_proj, always.</summary>
public static class Qwen2Family
{
    /// <summary>Qwen2's descriptor: Llama's, with its names and <see cref="LlamaOptions.QkvBiasOnly"/>.</summary>
    public static ModelFamily Descriptor { get; } = LlamaFamily.Descriptor with
    {
        Name = "Qwen2", ModelTypes = ["qwen2"], ClassName = "Qwen2ForCausalLM",
        Options = LlamaOptions.Llama with { SlidingWindows = SlidingWindows.Switched, QkvBiasOnly = true, HasAttentionBiasKey = false, HasMlpBiasKey = false },
        ImplementedFields = ["sliding_window", "use_sliding_window", "layer_types"],
        PerLayerFields = [PerLayerField.List("layer_types"), PerLayerField.Threshold("max_window_layers")],
    };
}
