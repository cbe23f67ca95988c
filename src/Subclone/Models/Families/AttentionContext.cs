using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// What every block of one forward pass shares for causal rotary attention: cos and sin over the rotary dims
/// ([T, rotary_dim], which may cover only the first part of each head), and a sliding-window mask where the
/// window is shorter than the sequence (null means plain causal). In a cached forward, the <see cref="Step"/> whose
/// cache the keys and values join, and the sliding window its mask applies.
/// </summary>
public sealed record AttentionContext(Tensor Cos, Tensor Sin, Tensor? Mask)
{
    /// <summary>The cached forward this one is, or null for an uncached one.</summary>
    public KvStep? Step { get; init; }

    /// <summary>The sliding window (keys a query sees, itself included) a cached <see cref="Step"/> masks by.</summary>
    public int? Window { get; init; }

    /// <summary>The tables for a cached <paramref name="step"/> of a model of <paramref name="config"/>.</summary>
    public static AttentionContext For(ModelConfig config, KvStep step, int? slidingWindow)
    {
        var (cos, sin) = step.CosSin(config.Rope, config.HeadDim);
        return new AttentionContext(cos, sin, null) { Step = step, Window = slidingWindow };
    }

    /// <summary>The tables for a forward over <paramref name="length"/> positions of a model of <paramref name="config"/>
    /// (its rope type, θ and partial rotary factor: <see cref="ModelConfig.Rope"/>).</summary>
    public static AttentionContext For(ModelConfig config, long length, int? slidingWindow)
    {
        var (cos, sin) = Rotary.CosSin(config.Rope, config.HeadDim, length);
        return new AttentionContext(cos, sin, slidingWindow is int w && w < length ? SlidingWindowMask(length, w) : null);
    }

    /// <summary>HF's sliding-window causal mask: query i sees key j when i − window &lt; j ≤ i (true = attend).</summary>
    public static Tensor SlidingWindowMask(long length, int window)
    {
        var distance = arange(length).unsqueeze(1) - arange(length).unsqueeze(0);  // i − j
        return distance.ge(0).logical_and(distance.lt(window));
    }

    /// <summary>
    /// softmax(q kᵀ/√hd) v per head, causal, after rotating q [B, H, T, hd] and k [B, KV, T, hd] on their first
    /// rotary dims (HF's apply_rotary_pos_emb with a partial rotary factor). With GQA, query head h reads key/value
    /// head h / (H / KV), as HF's repeat_kv does. Returns [B, H, T, hd]. In a cached forward the keys and values
    /// join layer <paramref name="layer"/>'s cache first.
    /// </summary>
    public Tensor Attend(Tensor query, Tensor key, Tensor value, int layer)
    {
        query = Rotary.Apply(query, Cos, Sin);  // on the first rotary dims; the rest pass through
        key = Rotary.Apply(key, Cos, Sin);
        if (Step is not null) return Step.Attend(layer, query, key, value, Window);
        long groups = query.shape[1] / key.shape[1];
        if (groups > 1)
        {
            key = key.repeat_interleave(groups, dim: 1);
            value = value.repeat_interleave(groups, dim: 1);
        }
        return Mask is null
            ? nn.functional.scaled_dot_product_attention(query, key, value, is_casual: true)
            : nn.functional.scaled_dot_product_attention(query, key, value, attn_mask: Mask);
    }
}
