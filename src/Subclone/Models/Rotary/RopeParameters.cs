namespace Subclone.Models;

/// <summary>
/// How a model's rotary position embedding is computed: Hugging Face's <c>rope_type</c> (default, linear, dynamic,
/// yarn, longrope, llama3) with the fields that type reads, as modeling_rope_utils.py names them. Parsed from
/// config.json by <see cref="RopeParametersReader"/>; turned into frequencies by <see cref="RopeFrequencies"/>.
/// Optional fields keep HF's defaults, so a record built in code (<see cref="Default"/>, <c>with</c>) means what
/// the same keys would mean in a config.
/// </summary>
public sealed record RopeParameters
{
    /// <summary>The rope types Subclone computes; any other is refused when the config is read.</summary>
    public static readonly IReadOnlyList<string> SupportedTypes = ["default", "linear", "dynamic", "yarn", "longrope", "llama3"];

    /// <summary>rope_type (or the legacy "type"): which of <see cref="SupportedTypes"/> computes the frequencies.</summary>
    public string RopeType { get; init; } = "default";
    /// <summary>rope_theta, the base θ of the frequencies 1/θ^(2i/d).</summary>
    public double Theta { get; init; } = 10000;
    /// <summary>partial_rotary_factor (GPT-NeoX: rotary_pct): the leading share of each head that rotates.</summary>
    public double PartialRotaryFactor { get; init; } = 1.0;
    /// <summary>max_position_embeddings: dynamic NTK's threshold, yarn's fallback original length.</summary>
    public int MaxPositions { get; init; }
    /// <summary>factor: the context extension (linear, dynamic, yarn, llama3; longrope's attention factor).</summary>
    public double Factor { get; init; } = 1.0;
    /// <summary>original_max_position_embeddings: the pre-training context (llama3, yarn, longrope); null when absent.</summary>
    public int? OriginalMaxPositions { get; init; }
    /// <summary>attention_factor: multiplies cos and sin (yarn, longrope); null = the type's own formula.</summary>
    public double? AttentionFactor { get; init; }
    /// <summary>yarn's beta_fast: rotations below which dimensions are fully interpolated (HF default 32).</summary>
    public double BetaFast { get; init; } = 32;
    /// <summary>yarn's beta_slow: rotations above which dimensions are kept (HF default 1).</summary>
    public double BetaSlow { get; init; } = 1;
    /// <summary>yarn's mscale and mscale_all_dim (DeepSeek): with both set the attention factor is their ratio.</summary>
    public double? Mscale { get; init; }
    /// <summary>See <see cref="Mscale"/>.</summary>
    public double? MscaleAllDim { get; init; }
    /// <summary>yarn's truncate: round the ramp's bounds to whole dimensions (floor/ceil), HF default true.</summary>
    public bool Truncate { get; init; } = true;
    /// <summary>llama3's low_freq_factor: wavelengths above original/low are divided by the factor.</summary>
    public double LowFreqFactor { get; init; } = 1;
    /// <summary>llama3's high_freq_factor: wavelengths below original/high are kept.</summary>
    public double HighFreqFactor { get; init; } = 4;
    /// <summary>longrope's short_factor: one divisor per frequency, used up to the original context.</summary>
    public IReadOnlyList<double> ShortFactor { get; init; } = [];
    /// <summary>longrope's long_factor: one divisor per frequency, used beyond the original context.</summary>
    public IReadOnlyList<double> LongFactor { get; init; } = [];

    /// <summary>Plain RoPE with base <paramref name="theta"/> (Gemma 3's local layers, tests, configs without scaling).</summary>
    public static RopeParameters Default(double theta, int maxPositions = 0) => new() { Theta = theta, MaxPositions = maxPositions };

    /// <summary>The leading dimensions of a head of <paramref name="headDim"/> that rotate: int(head_dim · partial_rotary_factor), as HF rounds it.</summary>
    public int RotaryDim(int headDim) => (int)(headDim * PartialRotaryFactor);
}
