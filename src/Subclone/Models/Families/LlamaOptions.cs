namespace Subclone.Models.Families;

/// <summary>
/// How a Llama-family variant differs from LlamaForCausalLM, as small named switches the one Llama module reads
/// (the way Hugging Face's modular files state only the delta).
/// </summary>
public sealed record LlamaOptions : FamilyOptions
{
    /// <summary>Plain Llama: every switch off.</summary>
    public static LlamaOptions Llama { get; } = new();

    /// <summary>Qwen2: q/k/v always carry biases and o_proj never does; there is no attention_bias key.</summary>
    public bool QkvBiasOnly { get; init; }
    /// <summary>The config class has an attention_bias key (written back into a child's config).</summary>
    public bool HasAttentionBiasKey { get; init; } = true;
    /// <summary>The config class has an mlp_bias key.</summary>
    public bool HasMlpBiasKey { get; init; } = true;

    /// <summary>The options of <paramref name="config"/>'s family (plain Llama for a family without any).</summary>
    public static LlamaOptions Of(ModelConfig config) => config.Family.Options as LlamaOptions ?? Llama;
}
