using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// Moves a contiguous tensor's bytes to and from a stream in slices. Tensor.bytes is a Span, which cannot
/// describe more than 2 GB, and real embedding tables in float32 are larger than that.
/// </summary>
internal static class TensorBytes
{
    const long ChunkBytes = 1L << 26;

    /// <summary>Flat views of at most 64 MB each, in order, over a contiguous tensor's storage.</summary>
    static IEnumerable<Tensor> Chunks(Tensor contiguous)
    {
        long count = contiguous.numel();
        if (count == 0) yield break;
        long perChunk = Math.Max(1, ChunkBytes / contiguous.ElementSize);
        using var flat = contiguous.view(-1);
        for (long start = 0; start < count; start += perChunk)
        {
            using var chunk = flat.narrow(0, start, Math.Min(perChunk, count - start));
            yield return chunk;
        }
    }

    public static void Write(Stream stream, Tensor contiguous)
    {
        foreach (var chunk in Chunks(contiguous)) stream.Write(chunk.bytes);
    }

    /// <summary>Fills the tensor from the stream; throws EndOfStreamException if the stream ends first.</summary>
    public static void Read(Stream stream, Tensor contiguous)
    {
        foreach (var chunk in Chunks(contiguous)) stream.ReadExactly(chunk.bytes);
    }
}
