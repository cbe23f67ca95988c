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

    /// <summary>RMSNorm on queries and keys before RoPE: none (Llama), per head over head_dim (Qwen3), or over the
    /// whole projection, heads × head_dim (OLMo 2).</summary>
    public QkNorm QkNorm { get; init; }
    /// <summary>OLMo 2: no input norm; each sublayer's output is normed before the residual add
    /// (post_attention_layernorm, post_feedforward_layernorm).</summary>
    public bool PostSublayerNorms { get; init; }

    /// <summary>How the config says which blocks attend within a sliding window.</summary>
    public SlidingWindows SlidingWindows { get; init; }

    /// <summary>head_dim when the config has none; null: hidden / heads (Qwen3Config defaults to 128).</summary>
    public int? HeadDimDefault { get; init; }
    /// <summary>rms_norm_eps when the config has none.</summary>
    public double NormEpsDefault { get; init; } = 1e-6;
    /// <summary>max_position_embeddings when the config has none.</summary>
    public int MaxPositionsDefault { get; init; } = 2048;

    /// <summary>The options of <paramref name="config"/>'s family (plain Llama for a family without any).</summary>
    public static LlamaOptions Of(ModelConfig config) => config.Family.Options as LlamaOptions ?? Llama;
}

/// <summary>Where a Llama-family variant puts RMSNorm on queries and keys.</summary>
public enum QkNorm
{
    /// <summary>No q/k norm (Llama, Mistral, Qwen2).</summary>
    None,
    /// <summary>q_norm / k_norm of width head_dim, applied to every head (Qwen3).</summary>
    PerHead,
    /// <summary>q_norm over heads × head_dim and k_norm over kv_heads × head_dim, before the split into heads (OLMo 2).</summary>
    FullWidth,
}

/// <summary>How a Llama-family config turns on sliding-window attention.</summary>
public enum SlidingWindows
{
    /// <summary>Never: the config class has no sliding window (Llama, OLMo 2).</summary>
    None,
    /// <summary>Every block attends within sliding_window when it is set (Mistral).</summary>
    WhenSet,
    /// <summary>Only with use_sliding_window: the blocks layer_types marks sliding_attention, or without it the
    /// blocks from max_window_layers on (Qwen2, Qwen3).</summary>
    Switched,
}
