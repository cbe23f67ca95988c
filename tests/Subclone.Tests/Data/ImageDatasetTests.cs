using Subclone.Checkpoints;
using Subclone.Data.Images;
using Subclone.Models;
using Subclone.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Tests.Data;

public class ImageDatasetTests
{
    static ImageTransform Plain(int size, int channels = 1) => new() { ImageSize = size, Channels = channels, Mean = [0], Std = [1] };

    /// <summary>N grey images of h × w with seeded random bytes, labels i mod 3.</summary>
    static ImageDataset Random(int count, int h, int w, ImageTransform transform, ulong seed = 1) =>
        new(randint(0, 256, [count, h, w], dtype: ScalarType.Byte, generator: new Generator(seed)), arange(count) % 3, transform);

    [SharedFact]
    public void MNIST_for_the_ViT_fixture_is_three_channel_16x16_in_minus_one_to_one()
    {
        var vit = HfCheckpoint.Load(SharedData.Fixture("vit-tiny")).Model;
        using var data = ImageDataset.LoadIdx(SharedData.Data("mnist/t10k-images-idx3-ubyte.gz"), SharedData.Data("mnist/t10k-labels-idx1-ubyte.gz"),
            ImageTransform.For(vit.Config));
        Assert.Equal((10_000, 10), (data.Count, data.Classes));

        using var batch = data.Batch([0, 1, 2, 3]);
        Assert.Equal([4L, 3, 16, 16], batch.Pixels.shape);
        Assert.Equal([7L, 2, 1, 0], batch.Labels.data<long>().ToArray());
        Assert.Equal(-1f, batch.Pixels[0, 0, 0, 0].item<float>());  // black background: (0 - 0.5) / 0.5
        Assert.InRange(batch.Pixels.max().item<float>(), 0.5f, 1f);
        Assert.True(batch.Pixels.min().item<float>() >= -1f);
        Assert.True(ModelAssert.BitEqual(batch.Pixels[.., 0], batch.Pixels[.., 2]), "grey is repeated to every channel");

        using var _ = no_grad();
        var logits = vit.Forward(batch.Pixels);
        Assert.Equal([4L, 5], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void Bilinear_resize_uses_half_pixel_centres()
    {
        // One 2×2 image, columns 0 and 255: enlarged to 4×4, each row is [0, ¼, ¾, 1].
        using var data = new ImageDataset(tensor(new byte[] { 0, 255, 0, 255 }, [1, 2, 2], ScalarType.Byte), tensor(new long[] { 0 }), Plain(4));
        using var batch = data.Batch([0]);
        var rows = batch.Pixels.reshape(4, 4);
        for (int r = 0; r < 4; r++)
            Assert.Equal([0f, 0.25f, 0.75f, 1f], rows[r].data<float>().ToArray());
    }

    [Fact]
    public void Images_of_the_model_size_are_only_scaled_and_normalised_per_channel()
    {
        var transform = new ImageTransform { ImageSize = 5, Channels = 3, Mean = [0.1, 0.2, 0.3], Std = [0.5, 0.25, 2] };
        using var data = Random(4, 5, 5, transform);
        using var batch = data.Batch([2, 0]);
        using var raw = randint(0, 256, [4, 5, 5], dtype: ScalarType.Byte, generator: new Generator(1));
        var expectedBase = raw.index_select(0, tensor(new long[] { 2, 0 })).to_type(ScalarType.Float32) / 255;
        double[] mean = [0.1, 0.2, 0.3], std = [0.5, 0.25, 2];
        for (int c = 0; c < 3; c++)
            Assert.True(((expectedBase - mean[c]) / std[c]).allclose(batch.Pixels[.., c], rtol: 1e-6, atol: 1e-6), $"channel {c}");
        Assert.Equal([2L, 0], batch.Labels.data<long>().ToArray());
    }

    [Fact]
    public void A_seed_gives_the_same_batches_and_one_pass_covers_every_image_once()
    {
        using var data = Random(23, 6, 6, Plain(4));
        var a = data.Batches(5, seed: 3).ToList();
        var b = data.Batches(5, seed: 3).ToList();
        var c = data.Batches(5, seed: 4).ToList();

        Assert.Equal([5L, 5, 5, 5, 3], a.Select(x => x.Labels.shape[0]));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.True(ModelAssert.BitEqual(a[i].Pixels, b[i].Pixels));
            Assert.True(ModelAssert.BitEqual(a[i].Labels, b[i].Labels));
        }
        Assert.False(ModelAssert.BitEqual(a[0].Pixels, c[0].Pixels), "another seed, another order");

        // Every image exactly once: the pass's pixels, sorted by content, equal the data set's.
        using var all = cat(a.Select(x => x.Pixels).ToList(), 0);
        using var every = data.Batch([.. Enumerable.Range(0, 23)]).Pixels;
        Assert.True(ModelAssert.BitEqual(all.sum([1L, 2, 3]).sort().Values, every.sum([1L, 2, 3]).sort().Values));
        Assert.Equal(data.Labels().Order(), cat(a.Select(x => x.Labels).ToList(), 0).data<long>().ToArray().Order());

        Assert.Equal(4, data.Batches(5, 3, dropLast: true).Count());
        var ordered = data.Batches(10, 3, shuffle: false).First();
        Assert.True(ModelAssert.BitEqual(data.Batch([.. Enumerable.Range(0, 10)]).Pixels, ordered.Pixels));
    }

    /// <summary>Which shift (dy, dx) in [-p, p] and flip turns <paramref name="plain"/> into <paramref name="augmented"/>, if any.</summary>
    static (int Dy, int Dx, bool Flip)? FindShift(Tensor plain, Tensor augmented, int p)
    {
        long s = plain.shape[^1];
        using var padded = nn.functional.pad(plain, [p, p, p, p], PaddingModes.Constant, 0);
        for (int dy = 0; dy <= 2 * p; dy++)
            for (int dx = 0; dx <= 2 * p; dx++)
                foreach (bool flip in new[] { false, true })
                {
                    var window = padded.narrow(-2, dy, s).narrow(-1, dx, s);
                    if (flip) window = window.flip(-1);
                    if (ModelAssert.BitEqual(window.contiguous(), augmented.contiguous())) return (dy - p, dx - p, flip);
                }
        return null;
    }

    [Fact]
    public void Random_crop_shifts_with_black_fill_and_flips_mirror_each_image()
    {
        using var data = Random(40, 8, 8, Plain(8));
        var augmentation = new ImageAugmentation(CropPadding: 2, HorizontalFlip: true);
        var augmented = data.Batches(40, seed: 9, shuffle: false, augmentation: augmentation).Single();
        var again = data.Batches(40, seed: 9, shuffle: false, augmentation: augmentation).Single();
        using var plain = data.Batch([.. Enumerable.Range(0, 40)]);

        Assert.True(ModelAssert.BitEqual(augmented.Pixels, again.Pixels), "the seed replays the augmentation");
        var found = Enumerable.Range(0, 40).Select(i => FindShift(plain.Pixels[i], augmented.Pixels[i], 2)).ToList();
        Assert.All(found, f => Assert.NotNull(f));
        Assert.Contains(found, f => f!.Value.Flip);
        Assert.Contains(found, f => !f!.Value.Flip);
        Assert.True(found.Select(f => (f!.Value.Dy, f.Value.Dx)).Distinct().Count() > 5, "shifts vary between images");
        Assert.True(ModelAssert.BitEqual(plain.Labels, augmented.Labels));

        var flipOnly = data.Batches(40, seed: 9, shuffle: false, augmentation: new ImageAugmentation(HorizontalFlip: true)).Single();
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(0, FindShift(plain.Pixels[i], flipOnly.Pixels[i], 0)!.Value.Dy));
    }

    [Fact]
    public void Colour_images_keep_their_channels()
    {
        using var images = randint(0, 256, [2, 3, 4, 4], dtype: ScalarType.Byte, generator: new Generator(2));
        using var data = new ImageDataset(images, tensor(new long[] { 1, 0 }), Plain(4, 3));
        using var batch = data.Batch([1]);
        Assert.True((images[1].to_type(ScalarType.Float32) / 255).unsqueeze(0).allclose(batch.Pixels, rtol: 0, atol: 1e-7));
        Assert.False(ModelAssert.BitEqual(batch.Pixels[.., 0], batch.Pixels[.., 1]));
    }

    [Fact]
    public void Subsets_keep_the_chosen_images_in_order()
    {
        using var data = Random(10, 4, 4, Plain(4));
        using var subset = data.Subset([7, 2]);
        Assert.Equal(2, subset.Count);
        Assert.True(ModelAssert.BitEqual(data.Batch([7, 2]).Pixels, subset.Batch([0, 1]).Pixels));
        Assert.Equal([1L, 2], subset.Labels());
    }

    [Fact]
    public void Class_names_set_the_class_count_and_survive_subsets()
    {
        using var images = zeros([3, 4, 4], ScalarType.Byte);
        using var data = new ImageDataset(images, tensor(new long[] { 0, 1, 0 }), Plain(4), classNames: ["cat", "dog", "eel"]);
        Assert.Equal(3, data.Classes);  // eel has no image, but the classifier still needs its row
        using var subset = data.Subset([0, 2]);
        Assert.Equal(3, subset.Classes);
        Assert.Equal(["cat", "dog", "eel"], subset.ClassNames!);
        Assert.Contains("label 2 has no name among the 2 class names", Assert.Throws<ArgumentException>(() =>
            new ImageDataset(images, tensor(new long[] { 0, 2, 1 }), Plain(4), classNames: ["cat", "dog"])).Message);
    }

    [Fact]
    public void Inconsistent_inputs_are_refused()
    {
        using var images = zeros([3, 4, 4], ScalarType.Byte);
        Assert.Contains("need [3] integer labels", Assert.Throws<ArgumentException>(() => new ImageDataset(images, zeros([2], ScalarType.Int64), Plain(4))).Message);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => new ImageDataset(images, tensor(new long[] { 0, -1, 2 }), Plain(4))).Message);
        Assert.Contains("images have 2 channels", Assert.Throws<ArgumentException>(() =>
            new ImageDataset(zeros([3, 2, 4, 4], ScalarType.Byte), zeros([3], ScalarType.Int64), Plain(4, 3))).Message);
        Assert.Contains("must be uint8", Assert.Throws<ArgumentException>(() => new ImageDataset(zeros([3, 4, 4]), zeros([3], ScalarType.Int64), Plain(4))).Message);
        Assert.Contains("one per channel (3)", Assert.Throws<ArgumentException>(() =>
            new ImageDataset(images, zeros([3], ScalarType.Int64), Plain(4, 3) with { Mean = [0.1, 0.2] })).Message);
        Assert.Contains("does not take images", Assert.Throws<ArgumentException>(() => ImageTransform.For(TinyModels.Gpt2().Config)).Message);

        using var data = new ImageDataset(images, zeros([3], ScalarType.Int64), Plain(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Batch([3]));
        Assert.Contains("seeded Random", Assert.Throws<ArgumentException>(() => data.Batch([0], new ImageAugmentation(HorizontalFlip: true))).Message);
    }

    [Fact]
    public void Mismatched_idx_image_and_label_files_are_named()
    {
        using var dir = new TempDir();
        var (images, _) = IdxTestFiles.Dataset(dir.Path, 6, 4, 4);
        string labels = IdxTestFiles.Write(dir["five-labels"], 0x801, [5], [0, 1, 2, 0, 1]);
        var error = Assert.Throws<InvalidDataException>(() => ImageDataset.LoadIdx(images, labels, Plain(4)));
        Assert.Equal($"{labels}: has 5 labels but {images} has 6 images", error.Message);

        var (okImages, okLabels) = IdxTestFiles.Dataset(dir.Path, 6, 4, 4);
        using var data = ImageDataset.LoadIdx(okImages, okLabels, ImageTransform.For(TinyModels.Vit().Config));
        Assert.Equal((6, 3), (data.Count, data.Classes));
        Assert.Equal([2L, 1, 8, 8], data.Batch([0, 5]).Pixels.shape);
    }
}
