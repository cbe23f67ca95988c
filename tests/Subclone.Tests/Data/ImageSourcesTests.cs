using Subclone.Data.Images;
using Subclone.Tests.Support;

namespace Subclone.Tests.Data;

public class ImageSourcesTests
{
    static readonly ImageTransform Transform = new() { ImageSize = 4, Channels = 1 };

    [Fact]
    public void IDX_files_and_class_folders_are_image_data_and_load_through_one_entry()
    {
        using var dir = new TempDir();
        var (idx, labels) = IdxTestFiles.Dataset(dir.Path, 6, 4, 4);
        File.Move(labels, dir["labels-idx1-ubyte"]);  // the name LabelsFor looks for beside images-idx3-ubyte
        string root = Path.Combine(dir.Path, "folders");
        Directory.CreateDirectory(Path.Combine(root, "b"));
        ImageTestFiles.Png(Path.Combine(root, "b", "x.png"), 5, 5, ImageTestFiles.RandomRgba(5, 5, 1));
        Directory.CreateDirectory(Path.Combine(root, "a"));
        ImageTestFiles.Jpeg(Path.Combine(root, "a", "y.jpg"), 3, 3, ImageTestFiles.RandomRgba(3, 3, 2));

        Assert.True(ImageSources.IsImageData(idx));
        Assert.True(ImageSources.IsImageData(root));
        using var fromIdx = ImageSources.Load(idx, Transform);
        Assert.Equal((6, 3, null), (fromIdx.Count, fromIdx.Classes, fromIdx.ClassNames));
        using var fromFolders = ImageSources.Load(root, Transform);
        Assert.Equal((2, 2), (fromFolders.Count, fromFolders.Classes));
        Assert.Equal(["a", "b"], fromFolders.ClassNames!);
        Assert.Equal([0L, 1], fromFolders.Labels());
    }

    [Fact]
    public void Other_paths_are_not_image_data()
    {
        using var dir = new TempDir();
        string text = dir["corpus.txt"];
        File.WriteAllText(text, "some text");
        string texts = Path.Combine(dir.Path, "texts");
        Directory.CreateDirectory(Path.Combine(texts, "part1"));
        File.WriteAllText(Path.Combine(texts, "part1", "a.txt"), "text in a sub-folder");

        Assert.False(ImageSources.IsImageData(text));
        Assert.False(ImageSources.IsImageData(texts));
        Assert.False(ImageSources.IsImageData(dir["missing"]));
        Assert.StartsWith($"{text}: not image data; give an IDX images file", Assert.Throws<UserInputException>(() => ImageSources.Load(text, Transform)).Message);
        Assert.Equal($"{dir["missing"]}: no such file or folder", Assert.Throws<UserInputException>(() => ImageSources.Load(dir["missing"], Transform)).Message);
        Assert.StartsWith($"{Path.Combine(texts, "part1")}: class folder has no", Assert.Throws<UserInputException>(() => ImageSources.Load(texts, Transform)).Message);
    }
}
