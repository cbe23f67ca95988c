using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// Rotary position embeddings as Hugging Face lays them out: the two halves of the rotated dims turn together
/// (rotate_half), on the leading <see cref="RopeParameters.RotaryDim"/> dims of each head; the rest pass through.
/// Every family computes its tables here.
/// </summary>
public static class Rotary
{
    /// <summary>cos and sin [T, rotary_dim] for one forward over positions 0 … <paramref name="seqLen"/> − 1 of heads
    /// <paramref name="headDim"/> wide, already multiplied by the rope type's attention factor (as HF does).</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(RopeParameters rope, int headDim, long seqLen)
    {
        using var positions = arange(seqLen, dtype: ScalarType.Int64);
        return CosSin(rope, headDim, positions);
    }

    /// <summary>cos and sin [T, rotary_dim] at the given positions [T] (int64). The sequence length dynamic and
    /// longrope scale by is HF's max(position_ids) + 1.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(RopeParameters rope, int headDim, Tensor positions)
    {
        using var scope = NewDisposeScope();
        long seqLen = positions.numel() == 0 ? 0 : positions.max().item<long>() + 1;
        var (invFreq, attentionFactor) = RopeFrequencies.Compute(rope, headDim, seqLen);
        var freqs = outer(positions.to_type(ScalarType.Float32), invFreq);
        var emb = cat([freqs, freqs], -1);
        var (cos, sin) = (emb.cos(), emb.sin());
        // HF multiplies even by 1.0; skipping it changes nothing and saves two passes.
        if (attentionFactor != 1.0) (cos, sin) = (cos.mul(attentionFactor), sin.mul(attentionFactor));
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>Plain RoPE with base <paramref name="theta"/> over <paramref name="length"/> positions, every dim rotating.</summary>
    public static (Tensor Cos, Tensor Sin) CosSin(long length, int headDim, double theta) =>
        CosSin(RopeParameters.Default(theta), headDim, length);

    /// <summary>x·cos + rotate_half(x)·sin on the first cos.shape[^1] dims of the last axis (all of them unless the
    /// rotary factor is partial), with rotate_half(r) = [−r₂, r₁]; the remaining dims are returned unchanged.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        long rotary = cos.shape[^1], width = x.shape[^1];
        if (rotary == width) return Rotate(x, cos, sin);
        return cat([Rotate(x.narrow(-1, 0, rotary), cos, sin), x.narrow(-1, rotary, width - rotary)], -1);
    }

    static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var rotated = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
        return x * cos + rotated * sin;
    }
}
