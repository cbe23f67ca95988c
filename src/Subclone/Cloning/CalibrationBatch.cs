using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>Token ids [B, T] and, for padded encoder batches, a 1/0 attention mask [B, T]. For ViT, InputIds
/// holds pixel values [B, C, H, W] (what the model's Forward takes), there is no mask, and Labels [B] holds
/// the classes when they are known (for accuracy).</summary>
public sealed record CalibrationBatch(Tensor InputIds, Tensor? AttentionMask = null, Tensor? Labels = null)
{
    /// <summary>Text tokens in the batch; for images this counts pixels, so calibration counts tokens in the model instead.</summary>
    public long Tokens => AttentionMask is null ? InputIds.numel() : AttentionMask.sum().item<long>();
}
