using System.Text.Json.Nodes;
using Subclone.Data.Images;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Data;

public class ImageFolderTests
{
    /// <summary>No normalisation, so a batch's pixels ×255 are the stored bytes.</summary>
    static ImageTransform Plain(int size, int channels) => new() { ImageSize = size, Channels = channels, Mean = [0], Std = [1] };

    /// <summary>The stored bytes of image <paramref name="index"/>, [C, S, S] flattened.</summary>
    static byte[] Stored(ImageDataset data, int index)
    {
        using var batch = data.Batch([index]);
        using var bytes = batch.Pixels.mul(255).round().to_type(ScalarType.Byte);
        return bytes.data<byte>().ToArray();
    }

    /// <summary>RGBA → planar RGB, as a model sees an image that needs no resize.</summary>
    static byte[] PlanarRgb(byte[] rgba)
    {
        int pixels = rgba.Length / 4;
        var planes = new byte[3 * pixels];
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < 3; c++) planes[c * pixels + p] = rgba[4 * p + c];
        return planes;
    }

    static string Folder(params string[] parts)
    {
        string path = Path.Combine(parts);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Three classes of PNG and JPEG files of several sizes, grey and colour, with litter to ignore.</summary>
    static (string Root, byte[] ExactRgba) Classes(TempDir dir)
    {
        string root = Folder(dir.Path, "data");
        var exact = ImageTestFiles.RandomRgba(8, 8, seed: 1);
        ImageTestFiles.Png(Path.Combine(Folder(root, "cat"), "b.png"), 8, 8, exact);
        ImageTestFiles.Jpeg(Path.Combine(root, "cat", "a.JPG"), 12, 10, ImageTestFiles.RandomRgba(12, 10, seed: 2));
        File.WriteAllText(Path.Combine(root, "cat", "notes.txt"), "not an image");
        File.WriteAllText(Path.Combine(root, "cat", "._b.png"), "macOS resource fork: skipped");
        ImageTestFiles.GreyPng(Path.Combine(Folder(root, "Dog"), "x.PNG"), 5, 7, Enumerable.Range(0, 35).Select(i => (byte)(7 * i)).ToArray());
        ImageTestFiles.Jpeg(Path.Combine(root, "Dog", "y.jpeg"), 20, 20, ImageTestFiles.RandomRgba(20, 20, seed: 3));
        ImageTestFiles.Png(Path.Combine(Folder(root, "bird"), "only.png"), 3, 9, ImageTestFiles.RandomRgba(3, 9, seed: 4));
        File.WriteAllText(Path.Combine(Folder(root, ".ipynb_checkpoints"), "junk.png"), "tool litter: skipped");
        File.WriteAllText(Path.Combine(root, "README.md"), "files beside the class folders are ignored");
        return (root, exact);
    }

    [Fact]
    public void Classes_are_sorted_folders_and_files_are_read_in_order_at_the_model_size()
    {
        using var dir = new TempDir();
        var (root, exact) = Classes(dir);
        using var data = ImageFolder.Load(root, Plain(8, 3));

        Assert.Equal(["Dog", "bird", "cat"], data.ClassNames!);  // ordinal: capitals first
        Assert.Equal(["Dog", "bird", "cat"], ImageFolder.ClassNames(root));
        Assert.Equal((5, 3, root), (data.Count, data.Classes, data.Origin));
        Assert.Equal([0L, 0, 1, 2, 2], data.Labels());  // Dog/x.PNG, Dog/y.jpeg, bird/only.png, cat/a.JPG, cat/b.png
        using var batch = data.Batch([.. Enumerable.Range(0, 5)]);
        Assert.Equal([5L, 3, 8, 8], batch.Pixels.shape);

        Assert.Equal(PlanarRgb(exact), Stored(data, 4));  // a PNG of the model's size: the bytes as written
        var grey = Stored(data, 0);  // the grey PNG, enlarged: every channel the same
        Assert.Equal(grey[..64], grey[64..128]);
        Assert.Equal(grey[..64], grey[128..]);
        Assert.Equal(ImageFolder.ClassNames(root), data.Subset([4, 0]).ClassNames);
    }

    [Fact]
    public void Colour_becomes_PIL_luma_for_grey_models_and_alpha_is_dropped()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        // Opaque, half and fully transparent: the colours stored under alpha are what the model sees.
        byte[] rgba = [200, 100, 50, 255, 10, 20, 30, 128, 40, 80, 160, 0, 255, 255, 255, 255];
        ImageTestFiles.Png(Path.Combine(Folder(root, "only"), "a.png"), 2, 2, rgba);

        using var grey = ImageFolder.Load(root, Plain(2, 1));
        Assert.Equal([124, 18, 77, 255], Stored(grey, 0));  // PIL's convert("L") of these colours
        using var colour = ImageFolder.Load(root, Plain(2, 3));
        Assert.Equal(PlanarRgb(rgba), Stored(colour, 0));
    }

    [Fact]
    public void Enlarging_is_PILs_bilinear_within_one_level()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        ImageTestFiles.GreyPng(Path.Combine(Folder(root, "only"), "a.png"), 3, 2, [0, 100, 200, 50, 150, 250]);
        // PIL 9.4: Image.fromarray(that 2×3 array).resize((8, 8), Image.BILINEAR)
        int[] pil =
        [
            0, 6, 44, 81, 119, 156, 194, 200,
            0, 6, 44, 81, 119, 156, 194, 200,
            6, 12, 50, 87, 125, 162, 200, 206,
            19, 25, 63, 100, 138, 175, 213, 219,
            31, 37, 75, 112, 150, 187, 225, 231,
            44, 50, 88, 125, 163, 200, 238, 244,
            50, 56, 94, 131, 169, 206, 244, 250,
            50, 56, 94, 131, 169, 206, 244, 250,
        ];
        using var data = ImageFolder.Load(root, Plain(8, 1));
        var ours = Stored(data, 0);
        Assert.All(Enumerable.Range(0, 64), i => Assert.InRange(ours[i] - pil[i], -1, 1));
    }

    [Fact]
    public void Shrinking_averages_fine_detail_as_PIL_does()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        // A one-pixel checkerboard: PIL's bilinear shrink to 8×8 averages it to about 127 everywhere; sampling the
        // four nearest pixels without low-pass filtering would weigh them ¾ : ¼ (scale 7.5) and give 64s and 191s.
        var checker = Enumerable.Range(0, 60 * 60).Select(i => (byte)((i / 60 + i % 60) % 2 * 255)).ToArray();
        ImageTestFiles.GreyPng(Path.Combine(Folder(root, "only"), "a.png"), 60, 60, checker);
        using var data = ImageFolder.Load(root, Plain(8, 1));
        Assert.All(Stored(data, 0), v => Assert.InRange(v, 120, 135));
    }

    [Fact]
    public void Two_loads_are_identical_across_parallel_decode_chunks()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        var random = new Random(5);
        for (int i = 0; i < 150; i++)  // more than one chunk of parallel decoding
        {
            int w = random.Next(1, 13), h = random.Next(1, 13);
            string folder = Folder(root, $"class{i % 3}");
            if (i % 2 == 0) ImageTestFiles.Png(Path.Combine(folder, $"{i:D3}.png"), w, h, ImageTestFiles.RandomRgba(w, h, i));
            else ImageTestFiles.Jpeg(Path.Combine(folder, $"{i:D3}.jpg"), w, h, ImageTestFiles.RandomRgba(w, h, i));
        }
        using var a = ImageFolder.Load(root, Plain(6, 3));
        using var b = ImageFolder.Load(root, Plain(6, 3));
        using var all = a.Batch([.. Enumerable.Range(0, 150)]);
        using var again = b.Batch([.. Enumerable.Range(0, 150)]);
        Assert.True(ModelAssert.BitEqual(all.Pixels, again.Pixels));
        Assert.Equal(a.Labels(), b.Labels());
        Assert.Equal(Enumerable.Repeat(0L, 50).Concat(Enumerable.Repeat(1L, 50)).Concat(Enumerable.Repeat(2L, 50)), a.Labels());

        // Image 149 is the last of class 2: file 149.jpg, decoded on its own, is the same.
        string single = Folder(dir.Path, "single");
        File.Copy(Path.Combine(root, "class2", "149.jpg"), Path.Combine(Folder(single, "x"), "149.jpg"));
        using var alone = ImageFolder.Load(single, Plain(6, 3));
        Assert.Equal(Stored(alone, 0), Stored(a, 149));
    }

    [Fact]
    public void Augmentation_of_folder_images_replays_with_the_seed()
    {
        using var dir = new TempDir();
        var (root, _) = Classes(dir);
        using var data = ImageFolder.Load(root, ImageTransform.For(ModelConfig.Parse(Vit(3, ["a", "b", "c"]), "vit")));
        var augmentation = new ImageAugmentation(CropPadding: 2, HorizontalFlip: true);
        var first = data.Batches(5, seed: 7, augmentation: augmentation).Single();
        var second = data.Batches(5, seed: 7, augmentation: augmentation).Single();
        var plain = data.Batches(5, seed: 7).Single();
        Assert.True(ModelAssert.BitEqual(first.Pixels, second.Pixels));
        Assert.True(ModelAssert.BitEqual(first.Labels, plain.Labels), "the same order: augmentation draws after shuffling");
        Assert.False(ModelAssert.BitEqual(first.Pixels, plain.Pixels));
    }

    static JsonObject Vit(int channels, string[] labels) => new()
    {
        ["model_type"] = "vit", ["hidden_size"] = 16, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 1, ["intermediate_size"] = 24,
        ["image_size"] = 8, ["patch_size"] = 4, ["num_channels"] = channels,
        ["id2label"] = new JsonObject(labels.Select((name, i) => KeyValuePair.Create(i.ToString(), (JsonNode?)name))),
    };

    [Fact]
    public void A_tiny_ViT_classifies_a_batch_from_a_folder_named_by_its_classes()
    {
        using var dir = new TempDir();
        var (root, _) = Classes(dir);
        var config = ModelConfig.Parse(Vit(3, [.. ImageFolder.ClassNames(root)]), "vit");
        var model = TransformerModel.Create(config, seed: 0);
        using var data = ImageFolder.Load(root, ImageTransform.For(config));
        using var batch = data.Batch([0, 2, 4]);
        using var _ = no_grad();
        using var logits = model.Forward(batch.Pixels);
        Assert.Equal([3L, data.Classes], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void A_bad_image_is_named_and_the_first_in_order_is_reported()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        ImageTestFiles.Png(Path.Combine(Folder(root, "a"), "0.png"), 4, 4, ImageTestFiles.RandomRgba(4, 4, 1));
        string noise = Path.Combine(root, "a", "1.png");
        File.WriteAllBytes(noise, [.. Enumerable.Range(0, 100).Select(i => (byte)(i * 37))]);
        string text = Path.Combine(Folder(root, "b"), "2.jpg");
        File.WriteAllText(text, "not a JPEG");
        for (int i = 0; i < 2; i++)
        {
            var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, Plain(4, 3)));
            Assert.StartsWith($"{noise}: ", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
        File.Delete(noise);
        Assert.Equal($"{text}: not a PNG or JPEG image, nor another format Skia decodes", Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, Plain(4, 3))).Message);
    }

    [Fact]
    public void A_truncated_png_is_refused()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        string file = ImageTestFiles.Png(Path.Combine(Folder(root, "a"), "cut.png"), 32, 32, ImageTestFiles.RandomRgba(32, 32, 1));
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, Plain(4, 3)));
        Assert.Equal($"{file}: the 32×32 image cannot be decoded (the file is truncated or corrupt)", error.Message);
    }

    [Fact]
    public void A_header_claiming_a_huge_image_is_refused_before_decoding()
    {
        using var dir = new TempDir();
        string root = Folder(dir.Path, "data");
        string file = ImageTestFiles.PngHeader(Path.Combine(Folder(root, "a"), "huge.png"), 100_000, 30);
        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, Plain(4, 3)));
        Assert.Equal($"{file}: header gives the image as 100000×30 pixels; at most 16384×16384 are read", error.Message);
    }

    [Fact]
    public void Layouts_that_are_not_a_folder_per_class_are_named()
    {
        using var dir = new TempDir();
        string missing = dir["nothing-here"];
        Assert.Equal($"{missing}: no such folder", Assert.Throws<UserInputException>(() => ImageFolder.Load(missing, Plain(4, 3))).Message);

        string flat = Folder(dir.Path, "flat");
        string image = ImageTestFiles.Png(Path.Combine(flat, "a.png"), 4, 4, ImageTestFiles.RandomRgba(4, 4, 1));
        Assert.StartsWith($"{flat}: has no class folders", Assert.Throws<UserInputException>(() => ImageFolder.Load(flat, Plain(4, 3))).Message);
        Assert.StartsWith($"{image}: is a file", Assert.Throws<UserInputException>(() => ImageFolder.Load(image, Plain(4, 3))).Message);

        ImageTestFiles.Png(Path.Combine(Folder(flat, "full"), "a.png"), 4, 4, ImageTestFiles.RandomRgba(4, 4, 1));
        string empty = Folder(flat, "empty");
        File.WriteAllText(Path.Combine(empty, "labels.txt"), "no images here");
        Assert.Equal($"{empty}: class folder has no .png, .jpg or .jpeg images",
            Assert.Throws<UserInputException>(() => ImageFolder.Load(flat, Plain(4, 3))).Message);

        Directory.Delete(empty, recursive: true);
        Assert.Contains("takes 4 channels", Assert.Throws<UserInputException>(() => ImageFolder.Load(flat, Plain(4, 4))).Message);
        using var data = ImageFolder.Load(flat, Plain(4, 3));
        Assert.Equal(["full"], data.ClassNames!);
    }
}
