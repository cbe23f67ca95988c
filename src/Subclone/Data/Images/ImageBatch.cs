using static TorchSharp.torch;

namespace Subclone.Data.Images;

/// <summary>Model-ready pixel values [B, C, S, S] float32 and their class labels [B] int64. The caller owns both.</summary>
public sealed record ImageBatch(Tensor Pixels, Tensor Labels) : IDisposable
{
    /// <summary>Disposes the pixels and the labels.</summary>
    public void Dispose()
    {
        Pixels.Dispose();
        Labels.Dispose();
    }
}
