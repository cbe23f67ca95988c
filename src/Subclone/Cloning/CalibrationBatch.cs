using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>Token ids [B, T] and, for padded encoder batches, a 1/0 attention mask [B, T].</summary>
public sealed record CalibrationBatch(Tensor InputIds, Tensor? AttentionMask = null)
{
    public long Tokens => AttentionMask is null ? InputIds.numel() : AttentionMask.sum().item<long>();
}
