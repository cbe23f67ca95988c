using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma's attention (Gemma2Attention, and Gemma3Attention with <see cref="GemmaSettings.QkNorm"/>): grouped KV heads,
/// rotary positions, scores scaled by query_pre_attn_scalar^-½ and soft-capped, an explicit mask (a causal band on
/// sliding layers), softmax in float32. Written out instead of SDPA, which has no soft-capping.
/// </summary>
public sealed class Gemma2Attention : nn.Module
{
    /// <summary>Query [H·hd, D], key and value [KV·hd, D], and output [D, H·hd] projections.</summary>
    public LinearLayer q_proj, k_proj, v_proj, o_proj;
    /// <summary>Gemma 3's (1+w) RMSNorms over each query / key head's head_dim, before RoPE; null for Gemma 2.</summary>
    public GemmaRmsNorm? q_norm, k_norm;
    readonly int _heads, _kvHeads, _headDim, _layer;
    readonly double _scaling;
    readonly double? _softcap;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public Gemma2Attention(ModelConfig config, GemmaSettings settings, int layer) : base(nameof(Gemma2Attention))
    {
        _heads = config.Heads;
        _kvHeads = config.KvHeads;
        _headDim = config.HeadDim;
        _layer = layer;
        _scaling = Math.Pow(settings.QueryPreAttnScalar, -0.5);
        _softcap = settings.AttentionSoftcap;
        long q = (long)_heads * _headDim, kv = (long)_kvHeads * _headDim;
        q_proj = new LinearLayer(config.Hidden, q, config.AttentionBias);
        k_proj = new LinearLayer(config.Hidden, kv, config.AttentionBias);
        v_proj = new LinearLayer(config.Hidden, kv, config.AttentionBias);
        o_proj = new LinearLayer(q, config.Hidden, config.AttentionBias);
        if (settings.QkNorm)
        {
            q_norm = new GemmaRmsNorm(_headDim, config.NormEps);
            k_norm = new GemmaRmsNorm(_headDim, config.NormEps);
        }
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]. <paramref name="allowed"/> [T, T] is true where query i may see key j;
    /// the per-head outputs go to <paramref name="probe"/>. In a cached <paramref name="step"/> the keys and values join
    /// the cache and <paramref name="allowed"/> [B, 1, T, cached keys] covers all it holds.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor allowed, ActivationProbe? probe, KvStep? step = null)
    {
        long b = x.shape[0], t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        if (q_norm is not null && k_norm is not null)
        {
            q = q_norm.forward(q);
            k = k_norm.forward(k);
        }
        q = Rotary.Apply(q, cos, sin);
        k = Rotary.Apply(k, cos, sin);
        if (step is not null) (k, v) = step.Store(_layer, k, v);
        if (_kvHeads != _heads)
        {
            // HF's repeat_kv: query head h reads key/value head h / (heads / kv_heads).
            int groups = _heads / _kvHeads;
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        var scores = matmul(q, k.transpose(2, 3)) * _scaling;
        if (_softcap is double cap) scores = (scores / cap).tanh() * cap;
        scores = scores.masked_fill(allowed.logical_not(), float.NegativeInfinity);
        var weights = nn.functional.softmax(scores, -1, ScalarType.Float32).to_type(q.dtype);
        var heads = matmul(weights, v);
        probe?.OnHeadOutputs(_layer, heads);
        return o_proj.forward(heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim));
    }

    /// <summary>[T, T], true where query i may attend key j: j ≤ i, and on sliding layers also i − j &lt; window
    /// (HF's sliding mask keeps the query and the window − 1 keys before it).</summary>
    public static Tensor Mask(long length, int? window)
    {
        var i = arange(length, dtype: ScalarType.Int64).unsqueeze(1);
        var j = arange(length, dtype: ScalarType.Int64).unsqueeze(0);
        var causal = j.le(i);
        return window is int w ? causal.logical_and((i - j).lt(w)) : causal;
    }
}
