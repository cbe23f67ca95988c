using System.Buffers.Binary;

namespace Subclone.Gguf;

/// <summary>
/// float32 values → the bytes of a ggml tensor type, rounding exactly as ggml's reference code does, so a file
/// is byte for byte what llama.cpp's own tools would write from the same values.
/// </summary>
public static class GgufEncoding
{
    /// <summary>Values per Q8_0 block.</summary>
    public const int Q8Block = 32;
    /// <summary>Bytes per Q8_0 block: a float16 scale and 32 int8.</summary>
    public const int Q8BlockBytes = 2 + Q8Block;

    /// <summary>Bytes of <paramref name="count"/> values of <paramref name="type"/> (Q8_0 needs a multiple of 32).</summary>
    public static long ByteCount(GgufTensorType type, long count) => type switch
    {
        GgufTensorType.F32 => count * 4,
        GgufTensorType.F16 or GgufTensorType.BF16 => count * 2,
        GgufTensorType.Q8_0 => count / Q8Block * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Encodes <paramref name="values"/> (row-major, rows of the innermost dimension) as <paramref name="type"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<float> values, GgufTensorType type)
    {
        var bytes = new byte[ByteCount(type, values.Length)];
        switch (type)
        {
            case GgufTensorType.F32:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                break;
            case GgufTensorType.F16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                break;
            case GgufTensorType.BF16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), ToBFloat16(values[i]));
                break;
            case GgufTensorType.Q8_0:
                if (values.Length % Q8Block != 0) throw new ArgumentException($"Q8_0 needs a multiple of {Q8Block} values, got {values.Length}");
                for (int b = 0; b < values.Length / Q8Block; b++)
                    QuantizeQ8Block(values.Slice(b * Q8Block, Q8Block), bytes.AsSpan(b * Q8BlockBytes, Q8BlockBytes));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
        return bytes;
    }

    /// <summary>
    /// ggml's quantize_row_q8_0_ref: d = max|x| / 127 stored as float16, q = round(x / d) half away from zero; the
    /// reciprocal is taken of the float32 d, not the rounded one, as ggml does.
    /// </summary>
    public static void QuantizeQ8Block(ReadOnlySpan<float> x, Span<byte> block)
    {
        float amax = 0;
        foreach (float v in x) amax = Math.Max(amax, Math.Abs(v));
        float d = amax / 127f, id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
        for (int j = 0; j < Q8Block; j++) block[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    /// <summary>The float value of a Q8_0 block's element <paramref name="j"/> as llama.cpp dequantises it.</summary>
    public static float DequantizeQ8(ReadOnlySpan<byte> block, int j) =>
        (float)BinaryPrimitives.ReadHalfLittleEndian(block) * (sbyte)block[2 + j];

    /// <summary>ggml_compute_fp32_to_bf16: round to nearest even; NaN stays a (quiet) NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffff) > 0x7f800000) return (ushort)((u >> 16) | 64);
        return (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
    }
}
