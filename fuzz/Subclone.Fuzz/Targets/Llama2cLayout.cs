using System.Buffers.Binary;

namespace Subclone.Fuzz;

/// <summary>The file length a legacy llama2.c header implies (run.c's weight layout), for seeds and for resizing
/// fuzz inputs to it.</summary>
internal static class Llama2cLayout
{
    public const int HeaderBytes = 7 * sizeof(int);

    /// <summary>Null when the header is not one the importer could accept (non-positive or non-dividing sizes).</summary>
    public static long? ByteCount(ReadOnlySpan<byte> file)
    {
        if (file.Length < HeaderBytes) return null;
        Span<long> v = stackalloc long[7];
        for (int i = 0; i < 7; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(file[(i * 4)..]);
        long dim = v[0], hidden = v[1], layers = v[2], heads = v[3], kvHeads = v[4], vocab = Math.Abs(v[5]), seqLen = v[6];
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0 || dim % heads != 0) return null;
        long headSize = dim / heads, kvDim = headSize * kvHeads;
        // Int128: products of three int32s overflow long.
        Int128 floats = (Int128)vocab * dim + (Int128)layers * (2 * dim + 2 * dim * dim + 2 * kvDim * dim + 3 * hidden * dim) + dim
            + 2 * seqLen * (headSize / 2) + (v[5] < 0 ? (Int128)vocab * dim : 0);
        Int128 bytes = HeaderBytes + floats * sizeof(float);
        return bytes <= long.MaxValue ? (long)bytes : null;
    }
}
