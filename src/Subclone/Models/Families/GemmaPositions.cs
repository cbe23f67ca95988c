using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// What a Gemma forward over T tokens shares between its blocks: for sliding and for full attention layers, the
/// rotary tables (local vs global RoPE) and the mask (causal band vs causal). Built lazily, once per kind. In a
/// cached forward (<see cref="Step"/>) the tables are at the step's positions and the mask covers every cached key.
/// </summary>
public sealed class GemmaPositions
{
    readonly ModelConfig _config;
    readonly GemmaSettings _settings;
    readonly long _length;
    (Tensor Cos, Tensor Sin, Tensor Allowed)? _sliding, _full;

    /// <summary>An uncached forward over positions 0 … <paramref name="length"/> − 1.</summary>
    public GemmaPositions(ModelConfig config, GemmaSettings settings, long length)
    {
        _config = config;
        _settings = settings;
        _length = length;
    }

    /// <summary>A cached forward: the new tokens of <paramref name="step"/>.</summary>
    public GemmaPositions(ModelConfig config, GemmaSettings settings, KvStep step) : this(config, settings, step.Count) => Step = step;

    /// <summary>The cached forward this one is, or null.</summary>
    public KvStep? Step { get; }

    /// <summary>cos, sin [T, head_dim] and the [T, T] mask for a layer of the given kind (in a cached forward,
    /// [B, 1, T, head_dim] and [B, 1, T, cached keys]).</summary>
    public (Tensor Cos, Tensor Sin, Tensor Allowed) For(bool sliding)
    {
        if (sliding) return _sliding ??= Build(true);
        return _full ??= Build(false);
    }

    (Tensor, Tensor, Tensor) Build(bool sliding)
    {
        var rope = _settings.RopeFor(_config, sliding);
        int? window = sliding ? _settings.SlidingWindow : null;
        if (Step is { } step)
        {
            var (stepCos, stepSin) = step.CosSin(rope, _config.HeadDim);
            return (stepCos, stepSin, step.AllowedMask(window));
        }
        var (cos, sin) = Rotary.CosSin(rope, _config.HeadDim, _length);
        return (cos, sin, Gemma2Attention.Mask(_length, window));
    }
}
