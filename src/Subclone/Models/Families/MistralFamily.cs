namespace Subclone.Models.Families;

/// <summary>MistralForCausalLM: Llama's layout; its config class has no mlp_bias key.</summary>
public static class MistralFamily
{
    /// <summary>Mistral's descriptor: Llama's, with its names.</summary>
    public static ModelFamily Descriptor { get; } = LlamaFamily.Descriptor with
    {
        Name = "Mistral", ModelTypes = ["mistral"], ClassName = "MistralForCausalLM",
        Options = LlamaOptions.Llama with { SlidingWindows = SlidingWindows.WhenSet, HasMlpBiasKey = false },
        ImplementedFields = ["sliding_window"],
    };
}
