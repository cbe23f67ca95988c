namespace Subclone.Data.Images;

/// <summary>
/// A seeded train / validation split of one labelled image set, for data that comes without a test set of its
/// own: the same seed always holds out the same images, so runs and comparisons are evaluated on the same ones.
/// </summary>
public sealed record ImageSplit(ImageDataset Train, ImageDataset Validation) : IDisposable
{
    /// <summary>Holds out a tenth of the images (at least one), chosen by a shuffle seeded with <paramref name="seed"/>.</summary>
    public static ImageSplit HoldOut(ImageDataset images, long seed)
    {
        if (images.Count < 2) throw new UserInputException($"{images.Origin}: {images.Count} image(s) cannot be split into training and validation");
        var random = new Random((int)(seed ^ (seed >> 32)));
        var order = Enumerable.Range(0, images.Count).ToArray();
        random.Shuffle(order);
        int heldOut = Math.Max(1, images.Count / 10);
        return new ImageSplit(images.Subset(order[..^heldOut]), images.Subset(order[^heldOut..]));
    }

    /// <summary>Frees both parts (the source set is the caller's).</summary>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
    }
}
