using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Data.Images;

/// <summary>
/// Labelled images kept as stored (uint8, source resolution, so 60,000 MNIST digits take 47 MB, not the
/// gigabytes they would at a ViT's 224×224×3 in float) and turned into model-ready batches on demand by an
/// <see cref="ImageTransform"/>. Batch order and augmentation come from a seed, so a run can be replayed.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    readonly Tensor _images;  // uint8 [N, c, h, w]
    readonly Tensor _labels;  // int64 [N]

    /// <summary>How images become model input.</summary>
    public ImageTransform Transform { get; }
    /// <summary>Where the images came from, for messages.</summary>
    public string Origin { get; }
    /// <summary>Number of images.</summary>
    public int Count => (int)_images.shape[0];
    /// <summary>The classifier width the labels need: the number of class names when there are names, else one
    /// more than the largest label.</summary>
    public int Classes { get; }
    /// <summary>The name of each label (index = label), for the model's id2label; null when the source has none (IDX).</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <param name="images">uint8 [N, H, W] (grey) or [N, C, H, W]; C must be 1 or the transform's channel count.</param>
    /// <param name="labels">[N] integer class indices, non-negative (and below the number of class names, if given).</param>
    /// <param name="transform">How the images become model input: size, channels and normalisation.</param>
    /// <param name="origin">Where the images came from, for messages.</param>
    /// <param name="classNames">The name of each class; kept by subsets, so a split still knows every class.</param>
    public ImageDataset(Tensor images, Tensor labels, ImageTransform transform, string origin = "images", IReadOnlyList<string>? classNames = null)
    {
        transform.Validate();
        if (images.dtype != ScalarType.Byte || images.dim() is not (3 or 4))
            throw new ArgumentException($"{origin}: images must be uint8 [N, H, W] or [N, C, H, W], got {images.dtype} [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var stored = images.dim() == 3 ? images.unsqueeze(1) : images.alias();
        long channels = stored.shape[1];
        if (channels != 1 && channels != transform.Channels)
            throw new ArgumentException($"{origin}: images have {channels} channels; the model takes {transform.Channels} (grey images are repeated, others are not converted)");
        if (labels.dim() != 1 || labels.shape[0] != stored.shape[0] || labels.is_floating_point())
            throw new ArgumentException($"{origin}: {stored.shape[0]} images need [{stored.shape[0]}] integer labels, got {labels.dtype} [{string.Join(", ", labels.shape)}]");
        var longLabels = labels.to_type(ScalarType.Int64);
        if (stored.shape[0] > 0 && longLabels.min().item<long>() < 0)
            throw new ArgumentException($"{origin}: labels must be non-negative class indices");
        int labelled = stored.shape[0] == 0 ? 0 : (int)longLabels.max().item<long>() + 1;
        if (classNames is not null && labelled > classNames.Count)
            throw new ArgumentException($"{origin}: label {labelled - 1} has no name among the {classNames.Count} class names");
        Classes = classNames?.Count ?? labelled;
        ClassNames = classNames?.ToArray();
        _images = stored.contiguous().MoveToOuterDisposeScope();
        _labels = longLabels.contiguous().MoveToOuterDisposeScope();
        Transform = transform;
        Origin = origin;
    }

    /// <summary>An IDX images file with its labels file (MNIST and Fashion-MNIST layout, gzipped or not).</summary>
    public static ImageDataset LoadIdx(string imagesPath, string labelsPath, ImageTransform transform)
    {
        using var images = IdxReader.ReadImages(imagesPath);
        using var labels = IdxReader.ReadLabels(labelsPath);
        if (images.shape[0] != labels.shape[0])
            throw new InvalidDataException($"{labelsPath}: has {labels.shape[0]} labels but {imagesPath} has {images.shape[0]} images");
        return new ImageDataset(images, labels, transform, imagesPath);
    }

    /// <summary>SHA-256 of the stored pixels and labels (hex): whether a resumed run reads the same images.</summary>
    public string ContentSha256()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(_images.bytes);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_labels.data<long>().ToArray().AsSpan()));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Every label, in stored order.</summary>
    public long[] Labels() => _labels.data<long>().ToArray();

    /// <summary>The images at <paramref name="indices"/> (in that order) as their own dataset, e.g. a held-out split.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
        using var index = IndexTensor(indices);
        using var images = _images.index_select(0, index);
        using var labels = _labels.index_select(0, index);
        return new ImageDataset(images, labels, Transform, Origin, ClassNames);
    }

    /// <summary>
    /// The images at <paramref name="indices"/>, transformed; augmented only when an augmentation is given, with
    /// draws from <paramref name="random"/> (crop offsets, then a flip, per image in order).
    /// </summary>
    public ImageBatch Batch(IReadOnlyList<int> indices, ImageAugmentation? augmentation = null, Random? random = null)
    {
        augmentation ??= ImageAugmentation.None;
        if (!augmentation.IsNone && random is null) throw new ArgumentException("augmentation needs a seeded Random");
        if (augmentation.CropPadding < 0) throw new ArgumentException($"crop padding must not be negative, got {augmentation.CropPadding}");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var index = IndexTensor(indices);
        var x = _images.index_select(0, index).to_type(ScalarType.Float32).div_(255);
        x = Resize(x, Transform.ImageSize);
        if (!augmentation.IsNone) x = Augment(x, augmentation, random!);
        if (x.shape[1] != Transform.Channels) x = x.expand(-1, Transform.Channels, -1, -1);
        var mean = tensor(Enumerable.Range(0, Transform.Channels).Select(c => (float)ImageTransform.PerChannel(Transform.Mean, c)).ToArray()).view(1, -1, 1, 1);
        var std = tensor(Enumerable.Range(0, Transform.Channels).Select(c => (float)ImageTransform.PerChannel(Transform.Std, c)).ToArray()).view(1, -1, 1, 1);
        var pixels = x.sub(mean).div_(std).contiguous();
        var labels = _labels.index_select(0, index);
        return new ImageBatch(pixels.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// One pass over the data in batches of <paramref name="batchSize"/>: every image once, shuffled with the seed
    /// (or in stored order), the last batch smaller unless <paramref name="dropLast"/>. The same seed gives the same
    /// batches; vary it per epoch (seed + epoch) for a new order.
    /// </summary>
    public IEnumerable<ImageBatch> Batches(int batchSize, long seed, bool shuffle = true, ImageAugmentation? augmentation = null, bool dropLast = false)
    {
        if (batchSize <= 0) throw new ArgumentException($"batch size must be positive, got {batchSize}");
        return Iterate();

        IEnumerable<ImageBatch> Iterate()
        {
            var random = new Random((int)(seed ^ (seed >> 32)));
            int[] order = Enumerable.Range(0, Count).ToArray();
            if (shuffle) random.Shuffle(order);
            for (int start = 0; start < order.Length; start += batchSize)
            {
                int size = Math.Min(batchSize, order.Length - start);
                if (size < batchSize && dropLast) yield break;
                yield return Batch(new ArraySegment<int>(order, start, size), augmentation, random);
            }
        }
    }

    Tensor IndexTensor(IReadOnlyList<int> indices)
    {
        foreach (int i in indices)
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException(nameof(indices), $"image {i} does not exist ({Origin} has {Count})");
        return tensor(indices.Select(i => (long)i).ToArray());
    }

    /// <summary>Bilinear, half-pixel centres (align_corners=False), as PIL's bilinear resize when enlarging;
    /// when shrinking PIL also low-pass filters, which this does not, so values differ slightly there.</summary>
    static Tensor Resize(Tensor x, int size) =>
        x.shape[2] == size && x.shape[3] == size
            ? x
            : nn.functional.interpolate(x, [size, size], mode: InterpolationMode.Bilinear, align_corners: false);

    /// <summary>Pads with black (0 in [0, 1]) and crops a random window per image, then flips by a coin.</summary>
    static Tensor Augment(Tensor x, ImageAugmentation augmentation, Random random)
    {
        int p = augmentation.CropPadding;
        long size = x.shape[2];
        var padded = p > 0 ? nn.functional.pad(x, [p, p, p, p], PaddingModes.Constant, 0) : x;
        var images = new Tensor[x.shape[0]];
        for (int i = 0; i < images.Length; i++)
        {
            var image = padded[i];
            if (p > 0)
            {
                int dy = random.Next(2 * p + 1), dx = random.Next(2 * p + 1);
                image = image.narrow(1, dy, size).narrow(2, dx, size);
            }
            if (augmentation.HorizontalFlip && random.Next(2) == 1) image = image.flip(-1);
            images[i] = image;
        }
        return stack(images);
    }

    /// <summary>Disposes the stored images and labels.</summary>
    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}
