namespace Subclone.Models.Families;

/// <summary>
/// How Gemma 3 text differs from Gemma 2, as the named switches the one Gemma module reads (modular_gemma3.py's
/// delta): q/k norms, a local RoPE for sliding layers, the attention pattern's default, and the config defaults.
/// </summary>
public sealed record GemmaOptions : FamilyOptions
{
    /// <summary>Gemma 2 (Gemma2Config's defaults).</summary>
    public static GemmaOptions Gemma2 { get; } = new();

    /// <summary>Gemma 3 text (Gemma3TextConfig's defaults).</summary>
    public static GemmaOptions Gemma3 { get; } = new()
    {
        QkNorm = true, LocalRope = true, SlidingWindowPatternKey = true, SlidingWindowPatternDefault = 6,
        AttentionSoftcapDefault = null, FinalSoftcapDefault = null, RopeThetaDefault = 1_000_000, MaxPositionsDefault = 131_072,
    };

    /// <summary>(1+w) RMSNorms q_norm / k_norm over each head's head_dim, before RoPE (Gemma3Attention).</summary>
    public bool QkNorm { get; init; }
    /// <summary>Sliding layers use default RoPE with rope_local_base_freq; full layers the config's rope (Gemma3TextModel).</summary>
    public bool LocalRope { get; init; }
    /// <summary>The config class reads sliding_window_pattern (Gemma3TextConfig, for configs without layer_types).</summary>
    public bool SlidingWindowPatternKey { get; init; }
    /// <summary>Without layer_types, layer i slides unless (i + 1) is a multiple of this: 2 is Gemma 2's even-layer rule.</summary>
    public int SlidingWindowPatternDefault { get; init; } = 2;
    /// <summary>attn_logit_softcapping when the config has no such key.</summary>
    public double? AttentionSoftcapDefault { get; init; } = 50.0;
    /// <summary>final_logit_softcapping when the config has no such key.</summary>
    public double? FinalSoftcapDefault { get; init; } = 30.0;
    /// <summary>rope_theta when the config has none.</summary>
    public double RopeThetaDefault { get; init; } = 10_000;
    /// <summary>max_position_embeddings when the config has none.</summary>
    public int MaxPositionsDefault { get; init; } = 8192;

    /// <summary>The options of <paramref name="config"/>'s family (Gemma 2's for a family without any).</summary>
    public static GemmaOptions Of(ModelConfig config) => config.Family.Options as GemmaOptions ?? Gemma2;
}
