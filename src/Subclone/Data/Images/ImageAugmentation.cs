namespace Subclone.Data.Images;

/// <summary>
/// Random changes applied to training batches after resizing: pad by <see cref="CropPadding"/> pixels of black
/// (0 before normalisation) on every side and crop a random ImageSize window (a shift of up to ±CropPadding),
/// and with <see cref="HorizontalFlip"/> mirror each image with probability ½. Draws come from the batch
/// stream's seeded generator, so a seed replays the same augmentations. Flips suit Fashion-MNIST, not digits.
/// </summary>
public sealed record ImageAugmentation(int CropPadding = 0, bool HorizontalFlip = false)
{
    /// <summary>No augmentation.</summary>
    public static ImageAugmentation None { get; } = new();

    /// <summary>Whether this changes nothing (no crop padding, no flips).</summary>
    public bool IsNone => CropPadding == 0 && !HorizontalFlip;
}
