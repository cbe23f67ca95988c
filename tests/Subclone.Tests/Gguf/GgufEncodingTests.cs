using System.Buffers.Binary;
using Subclone.Gguf;

namespace Subclone.Tests.Gguf;

/// <summary>The tensor encodings round exactly as ggml's reference code.</summary>
public class GgufEncodingTests
{
    [Fact]
    public void Q8_0_block_is_a_float16_scale_and_rounded_int8()
    {
        var x = Enumerable.Range(0, 32).Select(i => (i - 16) * 0.25f).ToArray();   // max |x| = 4 at i = 0
        x[5] = 0.5f * (4f / 127f);                                                 // exactly half a step: rounds away from zero
        byte[] block = GgufEncoding.Encode(x, GgufTensorType.Q8_0);
        Assert.Equal(34, block.Length);
        Assert.Equal((Half)(4f / 127f), BinaryPrimitives.ReadHalfLittleEndian(block));
        Assert.Equal(-127, (sbyte)block[2]);
        Assert.Equal(1, (sbyte)block[2 + 5]);
        Assert.Equal((sbyte)MathF.Round(3.75f * 127f / 4f, MidpointRounding.AwayFromZero), (sbyte)block[2 + 31]);
        Assert.Equal(0, (sbyte)block[2 + 16]);
        for (int j = 0; j < 32; j++) Assert.True(Math.Abs(GgufEncoding.DequantizeQ8(block, j) - x[j]) <= 4f / 127f / 2 + 1e-3f);
    }

    [Fact]
    public void Q8_0_of_zeros_has_zero_scale()
    {
        byte[] block = GgufEncoding.Encode(new float[64], GgufTensorType.Q8_0);
        Assert.All(block, b => Assert.Equal(0, b));
        Assert.Throws<ArgumentException>(() => GgufEncoding.Encode(new float[33], GgufTensorType.Q8_0));
    }

    [Fact]
    public void Bfloat16_rounds_to_nearest_even_and_keeps_nan()
    {
        Assert.Equal(0x3f80, GgufEncoding.ToBFloat16(1f));
        Assert.Equal(0x3f80, GgufEncoding.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3f808000)));  // tie, even stays
        Assert.Equal(0x3f82, GgufEncoding.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3f818000)));  // tie, odd rounds up
        Assert.Equal(0x3f81, GgufEncoding.ToBFloat16(BitConverter.UInt32BitsToSingle(0x3f808001)));
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)GgufEncoding.ToBFloat16(float.NaN) << 16)));
    }
}
