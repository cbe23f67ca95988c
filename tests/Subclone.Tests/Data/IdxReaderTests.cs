using Subclone.Data.Images;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Data;

public class IdxReaderTests
{
    static string MnistImages => SharedData.Data("mnist/t10k-images-idx3-ubyte.gz");
    static string MnistLabels => SharedData.Data("mnist/t10k-labels-idx1-ubyte.gz");

    [SharedFact]
    public void MNIST_test_images_and_labels_are_read_from_the_gzipped_files()
    {
        using var images = IdxReader.ReadImages(MnistImages);
        using var labels = IdxReader.ReadLabels(MnistLabels);

        Assert.Equal([10_000L, 28, 28], images.shape);
        Assert.Equal(ScalarType.Byte, images.dtype);
        Assert.Equal([10_000L], labels.shape);
        Assert.Equal(ScalarType.Int64, labels.dtype);
        var all = labels.data<long>().ToArray();
        Assert.Equal(7, all[0]);  // the test set opens with a 7, then 2, 1, 0, 4
        Assert.Equal([7L, 2, 1, 0, 4], all[..5]);
        var histogram = Enumerable.Range(0, 10).Select(d => all.Count(l => l == d)).ToArray();
        Assert.All(histogram, n => Assert.InRange(n, 850, 1200));
        Assert.Equal(10_000, histogram.Sum());

        // A digit is white strokes on black: border pixels are 0, and some stroke pixels are saturated.
        using var first = images[0];
        Assert.Equal(0, first[0].sum().item<long>());
        Assert.Equal(255, first.max().item<byte>());
        double ink = first.gt(0).sum().item<long>() / 784.0;
        Assert.InRange(ink, 0.05, 0.4);
    }

    [SharedFact]
    public void An_uncompressed_copy_reads_the_same_as_the_gzipped_file()
    {
        using var dir = new TempDir();
        IdxTestFiles.WriteBytes(dir["labels"], IdxTestFiles.Gunzip(MnistLabels), gzip: false);
        using var zipped = IdxReader.ReadLabels(MnistLabels);
        using var plain = IdxReader.ReadLabels(dir["labels"]);
        Assert.True(ModelAssert.BitEqual(zipped, plain));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Small_files_keep_their_shape_and_row_major_order(bool gzip)
    {
        using var dir = new TempDir();
        byte[] pixels = [.. Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10))];
        IdxTestFiles.Write(dir["i"], 0x803, [2, 3, 4], pixels, gzip);
        IdxTestFiles.Write(dir["l"], 0x801, [2], [9, 200], gzip);

        using var images = IdxReader.ReadImages(dir["i"]);
        Assert.Equal([2L, 3, 4], images.shape);
        Assert.Equal(10 * (12 + 4 + 3), images[1, 1, 3].item<byte>());
        Assert.Equal([9L, 200], IdxReader.ReadLabels(dir["l"]).data<long>().ToArray());
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "empty", [], "has 0 bytes, too few for an IDX header" },
        { "labels as images", Idx(0x801, [3], [1, 2, 3]), "starts with 0x00000801 (IDX labels), not 0x00000803 (IDX images)" },
        { "floats", Idx(0x0D03, [1, 1, 1], [0, 0, 0, 0]), "element type 0x0D, not unsigned bytes" },
        { "not idx", "P5\n28 28\n255\n"u8.ToArray(), "starts with 0x50350A32, not 0x00000803" },
        { "short header", Idx(0x803, [3], []), "too few for the 16-byte header of IDX images" },
        { "truncated", Idx(0x803, [3, 2, 2], [1, 2, 3, 4, 5]), "header promises images of 3×2×2 bytes (28 bytes with the header) but the file has 21 (truncated?)" },
        { "trailing bytes", Idx(0x803, [1, 2, 2], [1, 2, 3, 4, 5]), "(20 bytes with the header) but the file has 21" },
        { "negative count", Idx(0x803, [-1, 2, 2], []), "header gives dimension 0 as -1" },
        { "empty images", Idx(0x803, [2, 0, 28], []), "images of 0×28 pixels are empty" },
    };

    static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        using var dir = new TempDir();
        return File.ReadAllBytes(IdxTestFiles.Write(dir["f"], magic, dims, data));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_image_files_fail_with_one_line_naming_the_file(string name, byte[] bytes, string message)
    {
        using var dir = new TempDir();
        IdxTestFiles.WriteBytes(dir[name], bytes, gzip: false);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir[name]));
        Assert.StartsWith(dir[name] + ": ", error.Message);
        Assert.Contains(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Gzipped_files_are_checked_after_decompression_and_corrupt_gzip_is_named()
    {
        using var dir = new TempDir();
        IdxTestFiles.Write(dir["short.gz"], 0x801, [5], [1, 2, 3], gzip: true);
        var shortError = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(dir["short.gz"]));
        Assert.Contains("but the decompressed file has 11 (truncated?)", shortError.Message);

        var zipped = File.ReadAllBytes(IdxTestFiles.Write(dir["ok.gz"], 0x801, [200], new byte[200], gzip: true));
        File.WriteAllBytes(dir["cut.gz"], zipped[..(zipped.Length / 2)]);
        var cutError = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(dir["cut.gz"]));
        Assert.StartsWith(dir["cut.gz"] + ": ", cutError.Message);

        File.WriteAllBytes(dir["junk.gz"], [0x1F, 0x8B, 0x08, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x03, 0xFF, 0xFF, 0xFF]);
        var junkError = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(dir["junk.gz"]));
        Assert.Contains("is not a valid gzip file", junkError.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(dir["nope"]));
        Assert.StartsWith(dir["nope"] + ": cannot be read", error.Message);
    }
}
