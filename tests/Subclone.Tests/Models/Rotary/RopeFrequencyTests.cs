using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>Each rope type's inverse frequencies and attention factor against a float64 hand computation of
/// modeling_rope_utils.py's rule, so dropping or changing any one rule fails here.</summary>
public class RopeFrequencyTests
{
    static double[] Values(Tensor t) => t.to_type(ScalarType.Float64).data<double>().ToArray();

    /// <summary>1/θ^(2i/d) in float64.</summary>
    static double[] Plain(double theta, int dim) => Enumerable.Range(0, dim / 2).Select(i => 1 / Math.Pow(theta, 2.0 * i / dim)).ToArray();

    static void Close(double[] expected, double[] actual, double relative = 2e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]), $"frequency {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Default_is_one_over_theta_to_the_2i_over_d()
    {
        var (inv, attention) = RopeFrequencies.Compute(RopeParameters.Default(10000), 16, 8);
        Close(Plain(10000, 16), Values(inv));
        Assert.Equal(1.0, attention);
    }

    [Fact]
    public void Linear_divides_the_frequencies_so_positions_are_divided_by_the_factor()
    {
        var rope = new RopeParameters { RopeType = "linear", Theta = 10000, Factor = 4 };
        var (cos, sin) = Rotary.CosSin(rope, 16, 9);
        var (plainCos, plainSin) = Rotary.CosSin(RopeParameters.Default(10000), 16, 3);
        // Position 8 under ×4 linear scaling is plain position 2.
        Assert.True(cos[8].allclose(plainCos[2], rtol: 1e-5, atol: 1e-6));
        Assert.True(sin[8].allclose(plainSin[2], rtol: 1e-5, atol: 1e-6));
        var (unscaledCos, _) = Rotary.CosSin(RopeParameters.Default(10000), 16, 9);
        Assert.False(cos[8].allclose(unscaledCos[8], atol: 1e-3));
        Close(Plain(10000, 16).Select(f => f / 4).ToArray(), Values(RopeFrequencies.Compute(rope, 16, 9).InvFreq));
    }

    [Fact]
    public void Llama3_keeps_high_frequencies_divides_low_ones_and_smooths_the_band_between()
    {
        // The llama3-tiny-rope-scaling fixture's parameters: θ 5·10⁵, head_dim 32, factor 8, low/high 1/4, original 32.
        var rope = new RopeParameters { RopeType = "llama3", Theta = 500000, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositions = 32 };
        var plain = Plain(500000, 32);
        var bands = new int[3];
        var expected = plain.Select(f =>
        {
            double wavelen = 2 * Math.PI / f;
            if (wavelen < 32.0 / 4) { bands[0]++; return f; }
            if (wavelen > 32.0 / 1) { bands[2]++; return f / 8; }
            bands[1]++;
            double smooth = (32 / wavelen - 1) / (4 - 1);
            return (1 - smooth) * f / 8 + smooth * f;
        }).ToArray();
        Assert.All(bands, count => Assert.True(count > 0, "every band must occur for the test to cover it"));
        var (inv, attention) = RopeFrequencies.Compute(rope, 32, 40);
        Close(expected, Values(inv));
        Assert.Equal(1.0, attention);
    }

    /// <summary>The qwen2-tiny-yarn fixture's parameters: θ 1000, head_dim 32, factor 4, original 16.</summary>
    static RopeParameters QwenYarn => new() { RopeType = "yarn", Theta = 1000, Factor = 4, OriginalMaxPositions = 16, MaxPositions = 64 };

    [Fact]
    public void Yarn_range_floors_and_ceils_unless_truncate_is_false()
    {
        // dim·ln(16/(β·2π)) / (2 ln 1000): β=32 → −5.86 (floor −6, clamped to 0), β=1 → 2.17 (ceil 3).
        double Dim(double beta) => 32 * Math.Log(16 / (beta * 2 * Math.PI)) / (2 * Math.Log(1000));
        Assert.Equal((0.0, 3.0), RopeFrequencies.YarnRange(QwenYarn, 32));
        var (low, high) = RopeFrequencies.YarnRange(QwenYarn with { Truncate = false }, 32);
        Assert.Equal(0.0, low);
        Assert.Equal(Dim(1), high, 12);
        // A narrower beta window moves the upper bound: beta_slow is read, not assumed.
        Assert.Equal(Math.Ceiling(Dim(0.25)), RopeFrequencies.YarnRange(QwenYarn with { BetaSlow = 0.25 }, 32).High);
    }

    [Fact]
    public void Yarn_ramp_is_zero_at_low_one_from_high_and_linear_between()
    {
        Assert.Equal([0.0, 0, 0.5, 1, 1], Values(RopeFrequencies.YarnRamp(1, 3, 5)));
        // Equal bounds are parted by 0.001 rather than divided by zero.
        Assert.Equal([0.0, 0, 1], Values(RopeFrequencies.YarnRamp(1, 1, 3)));
    }

    [Fact]
    public void Yarn_keeps_frequency_0_ramps_1_and_2_and_divides_the_rest_with_its_attention_factor()
    {
        var plain = Plain(1000, 32);
        var expected = plain.Select((f, i) => i switch
        {
            0 => f,
            1 => f / 4 * (1.0 / 3) + f * (2.0 / 3),
            2 => f / 4 * (2.0 / 3) + f * (1.0 / 3),
            _ => f / 4,
        }).ToArray();
        var (inv, attention) = RopeFrequencies.Compute(QwenYarn, 32, 40);
        Close(expected, Values(inv));
        Assert.Equal(0.1 * Math.Log(4) + 1, attention, 12);
        Assert.Equal(1.1386, attention, 4);
        // An explicit attention_factor wins; mscale / mscale_all_dim give their ratio.
        Assert.Equal(0.7, RopeFrequencies.Compute(QwenYarn with { AttentionFactor = 0.7 }, 32, 40).AttentionFactor);
        Assert.Equal((0.1 * 2 * Math.Log(4) + 1) / (0.1 * Math.Log(4) + 1),
            RopeFrequencies.Compute(QwenYarn with { Mscale = 2, MscaleAllDim = 1 }, 32, 40).AttentionFactor, 12);
    }

    [Fact]
    public void Cos_and_sin_carry_the_attention_factor()
    {
        var (cos, sin) = Rotary.CosSin(QwenYarn, 32, 4);
        Assert.Equal(1.1386, cos[0, 0].item<float>(), 4);  // cos 0 = 1, scaled
        var (plainCos, _) = Rotary.CosSin(RopeParameters.Default(1000), 32, 4);
        Assert.Equal(plainCos[3, 0].item<float>() * 1.1386, cos[3, 0].item<float>(), 3);
        Assert.Equal(0f, sin[0, 5].item<float>());
    }

    [Fact]
    public void Dynamic_ntk_raises_the_base_only_beyond_max_position_embeddings()
    {
        var rope = new RopeParameters { RopeType = "dynamic", Theta = 10000, Factor = 2, MaxPositions = 16 };
        Close(Plain(10000, 16), Values(RopeFrequencies.Compute(rope, 16, 16).InvFreq));
        // The llama-tiny-dynamic-rope fixture: seq_len 40 → base 10⁴·(2·40/16 − 1)^(16/14) ≈ 48 760.
        double base40 = 10000 * Math.Pow(2.0 * 40 / 16 - 1, 16.0 / 14);
        Assert.InRange(base40, 48750, 48770);
        Close(Plain(base40, 16), Values(RopeFrequencies.Compute(rope, 16, 40).InvFreq), 1e-5);
    }

    /// <summary>The phi3-tiny-longrope fixture's rope: 8 divisors per set, original 16, max 128.</summary>
    static RopeParameters PhiLongRope => new()
    {
        RopeType = "longrope", Theta = 10000, MaxPositions = 128, OriginalMaxPositions = 16, Factor = 128.0 / 16,
        ShortFactor = [1.0, 1.02, 1.05, 1.1, 1.15, 1.25, 1.4, 1.6],
        LongFactor = [1.0, 1.19, 1.53, 2.07, 2.86, 3.97, 5.52, 7.66],
    };

    [Fact]
    public void Longrope_uses_short_factor_up_to_the_original_context_and_long_factor_beyond()
    {
        var plain = Plain(10000, 16);
        var rope = PhiLongRope;
        var (at16, attention) = RopeFrequencies.Compute(rope, 16, 16);
        var (at17, _) = RopeFrequencies.Compute(rope, 16, 17);
        Close(plain.Select((f, i) => f / rope.ShortFactor[i]).ToArray(), Values(at16));
        Close(plain.Select((f, i) => f / rope.LongFactor[i]).ToArray(), Values(at17));
        // √(1 + ln(128/16) / ln 16), whichever set is used.
        Assert.Equal(Math.Sqrt(1 + Math.Log(8) / Math.Log(16)), attention, 12);
        Assert.Equal(1.3229, attention, 4);
        Assert.Equal(attention, RopeFrequencies.Compute(rope, 16, 17).AttentionFactor);
        Assert.Equal(1.0, RopeFrequencies.Compute(rope with { Factor = 1 }, 16, 17).AttentionFactor);
    }

    [Fact]
    public void Longrope_picks_its_set_from_the_whole_forward_so_early_positions_use_long_factor_too()
    {
        // HF decides per forward from max(position_ids) + 1: over 40 tokens, position 3 rotates with long_factor.
        var (cos40, _) = Rotary.CosSin(PhiLongRope, 16, 40);
        var (cos4, _) = Rotary.CosSin(PhiLongRope, 16, 4);
        Assert.False(cos40[3].allclose(cos4[3], atol: 1e-4));
        using var positions = tensor(new long[] { 0, 1, 2, 3, 39 });
        var (atPositions, _) = Rotary.CosSin(PhiLongRope, 16, positions);
        Assert.True(atPositions[3].allclose(cos40[3]));
        Assert.True(atPositions[4].allclose(cos40[39]));
    }

    [Fact]
    public void Partial_rotary_factor_rotates_only_the_leading_dims()
    {
        var rope = RopeParameters.Default(10000) with { PartialRotaryFactor = 0.5 };
        Assert.Equal(8, rope.RotaryDim(16));
        var (cos, sin) = Rotary.CosSin(rope, 16, 5);
        Assert.Equal([5L, 8], cos.shape);
        // The 8 rotary dims use the frequencies of an 8-wide head: 1/θ^(2i/8).
        Close(Plain(10000, 8), Values(RopeFrequencies.Compute(rope, 16, 5).InvFreq));
        var x = randn([1, 2, 5, 16], generator: new Generator(3));
        var y = Rotary.Apply(x, cos, sin);
        Assert.True(y[.., .., .., 8..].equal(x[.., .., .., 8..]).all().item<bool>());
        Assert.False(y[.., .., 1.., ..8].allclose(x[.., .., 1.., ..8], atol: 1e-3));
        Assert.True(y[.., .., .., ..8].allclose(Rotary.Apply(x[.., .., .., ..8], cos, sin)));
    }
}
