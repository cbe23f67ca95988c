using static TorchSharp.torch;

namespace Subclone.Data;

/// <summary>
/// One batch of what a model's <c>Forward</c> reads, for calibration and evaluation alike: <see cref="Input"/> is
/// token ids [B, T] int64 for text models or pixel values [B, C, H, W] float32 for image classifiers, with a 1/0
/// <see cref="AttentionMask"/> [B, T] for padded encoder batches and class <see cref="Labels"/> [B] for labelled
/// images (what accuracy compares with). The caller owns the tensors (<see cref="Dispose"/> frees them).
/// </summary>
public sealed record ModelBatch(Tensor Input, Tensor? AttentionMask = null, Tensor? Labels = null) : IDisposable
{
    /// <summary>Text tokens in the batch (padding excluded). For images this counts pixels, so calibration counts
    /// tokens inside the model instead.</summary>
    public long Tokens => AttentionMask is null ? Input.numel() : AttentionMask.sum().item<long>();

    /// <summary>Labelled images as a model batch (the tensors are shared, not copied).</summary>
    public static ModelBatch Of(Images.ImageBatch images) => new(images.Pixels, null, images.Labels);

    /// <summary>Frees the input, the mask and the labels.</summary>
    public void Dispose()
    {
        Input.Dispose();
        AttentionMask?.Dispose();
        Labels?.Dispose();
    }
}
