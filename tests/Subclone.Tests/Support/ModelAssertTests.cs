using static TorchSharp.torch;

namespace Subclone.Tests.Support;

/// <summary>The bit-level comparison the checkpoint tests rely on really distinguishes bits.</summary>
public class ModelAssertTests
{
    [Fact]
    public void BitEqual_tells_apart_what_torch_equal_does_not()
    {
        using var a = tensor(new[] { 0.0f, 1.0f, float.NaN });
        using var same = tensor(new[] { 0.0f, 1.0f, float.NaN });
        using var negativeZero = tensor(new[] { -0.0f, 1.0f, float.NaN });
        using var oneUlp = tensor(new[] { 0.0f, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1.0f) + 1), float.NaN });
        using var bf16 = a.to_type(ScalarType.BFloat16);

        Assert.True(ModelAssert.BitEqual(a, same));
        Assert.False(ModelAssert.BitEqual(a, negativeZero));
        Assert.False(ModelAssert.BitEqual(a, oneUlp));
        Assert.False(ModelAssert.BitEqual(a, bf16));
        Assert.False(ModelAssert.BitEqual(a, a.reshape(3, 1)));
    }
}
