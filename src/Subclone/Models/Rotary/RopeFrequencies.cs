using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// The inverse frequencies [rotary_dim/2] and the attention factor on cos/sin of each rope type, computed as
/// Hugging Face's modeling_rope_utils.py computes them, step by step in the same precision: tensors in float32,
/// Python-side scalars (ramp bounds, attention factors) in float64. The operation order is HF's too, because
/// float32 rounding is what the 1e-4 agreement on logits is measured against.
/// </summary>
public static class RopeFrequencies
{
    /// <summary>inv_freq and attention factor for a forward over positions 0 … <paramref name="seqLen"/> − 1
    /// (dynamic and longrope depend on it, as HF's per-forward update does with max(position_ids) + 1).</summary>
    public static (Tensor InvFreq, double AttentionFactor) Compute(RopeParameters rope, int headDim, long seqLen)
    {
        int dim = rope.RotaryDim(headDim);
        return rope.RopeType switch
        {
            "default" => (Plain(rope.Theta, dim), 1.0),
            // Dividing the frequencies by the factor is dividing the positions by it.
            "linear" => (Plain(rope.Theta, dim).div(rope.Factor), 1.0),
            "dynamic" => (Dynamic(rope, dim, seqLen), 1.0),
            "yarn" => Yarn(rope, dim),
            "longrope" => LongRope(rope, dim, seqLen),
            "llama3" => (Llama3(rope, dim), 1.0),
            _ => throw new NotSupportedException($"rope_type '{rope.RopeType}' should have been refused when the config was read"),
        };
    }

    /// <summary>Whether the frequencies change with the sequence length (dynamic NTK, LongRoPE), so cached keys
    /// rotated for one length may not fit another.</summary>
    public static bool DependsOnLength(RopeParameters rope) => rope.RopeType is "dynamic" or "longrope";

    /// <summary>Which set of frequencies a forward over <paramref name="seqLen"/> positions uses: equal values mean
    /// equal tables. Dynamic NTK rescales at every length beyond max_position_embeddings; LongRoPE switches once, past
    /// its original context; every other type has one set.</summary>
    public static long Regime(RopeParameters rope, long seqLen) => rope.RopeType switch
    {
        "dynamic" => seqLen > rope.MaxPositions ? seqLen : 0,
        "longrope" => seqLen > (rope.OriginalMaxPositions ?? rope.MaxPositions) ? 1 : 0,
        _ => 0,
    };

    /// <summary>θ^(2i/d) for i &lt; d/2: HF's arange(0, dim, 2).float() / dim as the exponent, in float32.</summary>
    static Tensor Powers(double theta, int dim) =>
        pow(theta, arange(0, dim, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32).div(dim));

    /// <summary>The original RoPE: 1 / θ^(2i/d).</summary>
    public static Tensor Plain(double theta, int dim) => Powers(theta, dim).reciprocal();

    /// <summary>Dynamic NTK: beyond max_position_embeddings the base grows with the sequence,
    /// θ' = θ · (factor · L / max − (factor − 1))^(d/(d−2)). HF computes θ' from a tensor seq_len, so in float32.</summary>
    static Tensor Dynamic(RopeParameters rope, int dim, long seqLen)
    {
        if (seqLen <= rope.MaxPositions) return Plain(rope.Theta, dim);
        // One float32 element per step, in HF's order: base * ((factor * seq_len / max) - (factor - 1)) ** (dim / (dim - 2)).
        using var length = tensor(seqLen, ScalarType.Int64);
        using var scaled = length.mul(rope.Factor).div(rope.MaxPositions).sub(rope.Factor - 1).pow((double)dim / (dim - 2)).mul(rope.Theta);
        using var exponent = arange(0, dim, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32).div(dim);
        return scaled.pow(exponent).reciprocal();
    }

    /// <summary>YaRN: frequencies that turn fewer than beta_slow times over the original context are interpolated
    /// (÷ factor), more than beta_fast times kept, with a linear ramp between; cos/sin are scaled by
    /// 0.1·ln(factor) + 1 (or mscale's ratio, or an explicit attention_factor).</summary>
    static (Tensor, double) Yarn(RopeParameters rope, int dim)
    {
        double attention = rope.AttentionFactor ?? (rope.Mscale is { } m && m != 0 && rope.MscaleAllDim is { } all && all != 0
            ? YarnMscale(rope.Factor, m) / YarnMscale(rope.Factor, all)
            : YarnMscale(rope.Factor, 1));
        var (low, high) = YarnRange(rope, dim);
        var posFreqs = Powers(rope.Theta, dim);
        var extrapolation = posFreqs.reciprocal();
        var interpolation = posFreqs.mul(rope.Factor).reciprocal();
        var keep = YarnRamp(low, high, dim / 2).neg().add(1);  // 1 − ramp: the share of each frequency kept
        var invFreq = interpolation.mul(keep.neg().add(1)).add(extrapolation.mul(keep));
        return (invFreq, attention);
    }

    /// <summary>HF's get_mscale: 0.1 · mscale · ln(scale) + 1, or 1 when the context is not extended.</summary>
    static double YarnMscale(double scale, double mscale) => scale <= 1 ? 1.0 : 0.1 * mscale * Math.Log(scale) + 1.0;

    /// <summary>The dimensions where beta_fast and beta_slow rotations fit the original context, floor/ceil'd
    /// unless truncate is false, clamped to [0, d − 1].</summary>
    public static (double Low, double High) YarnRange(RopeParameters rope, int dim)
    {
        double original = rope.OriginalMaxPositions ?? rope.MaxPositions;
        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(rope.Theta));
        double low = CorrectionDim(rope.BetaFast), high = CorrectionDim(rope.BetaSlow);
        if (rope.Truncate) (low, high) = (Math.Floor(low), Math.Ceiling(high));
        return (Math.Max(low, 0), Math.Min(high, dim - 1));
    }

    /// <summary>(i − low) / (high − low) clamped to [0, 1] for i &lt; n, in float32; equal bounds are parted by 0.001 as HF does.</summary>
    public static Tensor YarnRamp(double low, double high, int n)
    {
        if (low == high) high += 0.001;
        return arange(n, dtype: ScalarType.Float32).sub(low).div(high - low).clamp(0, 1);
    }

    /// <summary>LongRoPE: one divisor per frequency, long_factor once the forward is longer than the original
    /// context, short_factor otherwise; cos/sin scaled by √(1 + ln(factor)/ln(original)) unless given.</summary>
    static (Tensor, double) LongRope(RopeParameters rope, int dim, long seqLen)
    {
        int original = rope.OriginalMaxPositions ?? rope.MaxPositions;
        double attention = rope.AttentionFactor
            ?? (rope.Factor <= 1 ? 1.0 : Math.Sqrt(1 + Math.Log(rope.Factor) / Math.Log(original)));
        var divisors = seqLen > original ? rope.LongFactor : rope.ShortFactor;
        using var ext = tensor(divisors.Select(x => (float)x).ToArray());
        return (ext.mul(Powers(rope.Theta, dim)).reciprocal(), attention);
    }

    /// <summary>Llama 3.1: wavelengths shorter than original/high_freq_factor are kept, longer than
    /// original/low_freq_factor divided by the factor, and the band between interpolated smoothly.</summary>
    static Tensor Llama3(RopeParameters rope, int dim)
    {
        var invFreq = Plain(rope.Theta, dim);
        double original = rope.OriginalMaxPositions!.Value, low = rope.LowFreqFactor, high = rope.HighFreqFactor;
        double lowFreqWavelen = original / low, highFreqWavelen = original / high;
        // Python's `scalar / tensor` is reciprocal() * scalar in PyTorch; written the same way for the same rounding.
        var wavelen = invFreq.reciprocal().mul(2 * Math.PI);
        var llama = where(wavelen.gt(lowFreqWavelen), invFreq.div(rope.Factor), invFreq);
        var smooth = wavelen.reciprocal().mul(original).sub(low).div(high - low);
        var smoothed = smooth.neg().add(1).mul(llama).div(rope.Factor).add(smooth.mul(llama));
        var medium = wavelen.lt(highFreqWavelen).logical_not().logical_and(wavelen.gt(lowFreqWavelen).logical_not());
        return where(medium, smoothed, llama);
    }
}
