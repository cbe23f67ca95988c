using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Data.Images;

/// <summary>
/// What every image becomes before the model sees it, as HF's ViT image processors do: resized to
/// ImageSize × ImageSize (bilinear), scaled to [0, 1], normalised per channel with (x − mean) / std. Grey
/// images are repeated to <see cref="Channels"/>. Mean and std hold one value for all channels or one per channel.
/// </summary>
public sealed record ImageTransform
{
    /// <summary>Side of the square input, in pixels.</summary>
    public required int ImageSize { get; init; }
    /// <summary>Channels the model takes; grey images are repeated to fill them.</summary>
    public required int Channels { get; init; }
    /// <summary>Per-channel mean subtracted after scaling to [0, 1] (one value for all channels, or one per channel).</summary>
    public double[] Mean { get; init; } = [0.5];
    /// <summary>Per-channel standard deviation divided by after subtracting the mean.</summary>
    public double[] Std { get; init; } = [0.5];

    /// <summary>The model's image_size and num_channels, with ViTImageProcessor's default mean and std of 0.5.</summary>
    public static ImageTransform For(ModelConfig config) =>
        config.Family.Kind == FamilyKind.ImageClassifier
            ? new ImageTransform { ImageSize = config.ImageSize, Channels = config.Channels }
            : throw new ArgumentException($"{config.ArchitectureName} does not take images");

    /// <summary>Throws for shapes and statistics no image can be normalised with.</summary>
    public void Validate()
    {
        if (ImageSize <= 0) throw new ArgumentException($"image size must be positive, got {ImageSize}");
        if (Channels <= 0) throw new ArgumentException($"channels must be positive, got {Channels}");
        foreach (var (name, values) in new[] { ("mean", Mean), ("std", Std) })
            if (values.Length != 1 && values.Length != Channels)
                throw new ArgumentException($"{name} has {values.Length} values; give one, or one per channel ({Channels})");
        if (Std.Any(s => !(s > 0))) throw new ArgumentException($"std must be positive, got [{string.Join(", ", Std)}]");
    }

    /// <summary>The value for channel <paramref name="c"/> of a one-or-per-channel list.</summary>
    internal static double PerChannel(double[] values, int c) => values.Length == 1 ? values[0] : values[c];
}
