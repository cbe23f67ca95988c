using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// What a Gemma forward over T tokens shares between its blocks: for sliding and for full attention layers, the
/// rotary tables (local vs global RoPE) and the mask (causal band vs causal). Built lazily, once per kind.
/// </summary>
public sealed class GemmaPositions(ModelConfig config, GemmaSettings settings, long length)
{
    (Tensor Cos, Tensor Sin, Tensor Allowed)? _sliding, _full;

    /// <summary>cos, sin [T, head_dim] and the [T, T] mask for a layer of the given kind.</summary>
    public (Tensor Cos, Tensor Sin, Tensor Allowed) For(bool sliding)
    {
        if (sliding) return _sliding ??= Build(true);
        return _full ??= Build(false);
    }

    (Tensor, Tensor, Tensor) Build(bool sliding)
    {
        var (cos, sin) = Rotary.CosSin(settings.RopeFor(config, sliding), config.HeadDim, length);
        return (cos, sin, Gemma2Attention.Mask(length, sliding ? settings.SlidingWindow : null));
    }
}
