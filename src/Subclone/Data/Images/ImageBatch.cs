using static TorchSharp.torch;

namespace Subclone.Data.Images;

/// <summary>Model-ready pixel values [B, C, S, S] float32 and their class labels [B] int64. The caller owns both.</summary>
public sealed record ImageBatch(Tensor Pixels, Tensor Labels) : IDisposable
{
    public void Dispose()
    {
        Pixels.Dispose();
        Labels.Dispose();
    }
}
