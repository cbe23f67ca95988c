using SkiaSharp;
using static TorchSharp.torch;

namespace Subclone.Data.Images;

/// <summary>
/// Reads a folder per class, as torchvision's ImageFolder lays them out: ROOT/&lt;class name&gt;/*.png|*.jpg|*.jpeg.
/// Classes are the sub-folders sorted by ordinal name (label 0 … K−1, the names become the model's id2label) and
/// files are taken in ordinal order within each class, so the same folder always gives the same dataset. Each
/// image is decoded with SkiaSharp, made grey or RGB to suit the model and resized to ImageSize × ImageSize once,
/// at load, so the images stack into the uint8 [N, C, S, S] that <see cref="ImageDataset"/> keeps.
/// </summary>
/// <remarks>
/// Names starting with '.' are skipped, folders and files alike: they are tool litter (.ipynb_checkpoints,
/// macOS's ._photo.jpg resource forks, which carry an image extension but are no image). Only a class folder's
/// own files are read, not its sub-folders. Like PIL without ImageOps.exif_transpose (what HF's image processors
/// see), JPEG EXIF orientation and embedded colour profiles are ignored: pixels are used as stored.
/// </remarks>
public static class ImageFolder
{
    /// <summary>The widest or tallest image read. A header can claim any size up to 2³¹; decoding allocates
    /// width × height × 4 bytes, so a larger claim is refused before anything is allocated (16k² is 1 GiB).</summary>
    public const int MaxSide = 16384;

    static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Images decoded at once before they are copied into the dataset: enough for every core, few enough
    /// that the decoded copies stay small next to the dataset itself.</summary>
    const int DecodeChunk = 64;

    /// <summary>Whether the file's extension is one read here (case-insensitive) and it is not a dot-file.</summary>
    public static bool IsImageFile(string path)
    {
        string name = Path.GetFileName(path);
        return !name.StartsWith('.') && Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Whether <paramref name="root"/> is a folder with at least one class sub-folder holding an image: a
    /// quick look to tell image data from other inputs, not a check that every class is well-formed.</summary>
    public static bool LooksLikeImageFolder(string root) =>
        Directory.Exists(root) && ClassFolders(root).Any(folder => Directory.EnumerateFiles(folder).Any(IsImageFile));

    /// <summary>The class names (sorted sub-folder names) without reading any image.</summary>
    public static IReadOnlyList<string> ClassNames(string root) => ListFiles(root).Select(c => c.Name).ToArray();

    /// <summary>Every image under <paramref name="root"/>, labelled by its folder, resized to the transform's size.</summary>
    /// <exception cref="UserInputException">The root is missing, has no class folders, or a class has no images.</exception>
    /// <exception cref="InvalidDataException">An image cannot be decoded or is too large; the message names the file.</exception>
    public static ImageDataset Load(string root, ImageTransform transform)
    {
        transform.Validate();
        if (transform.Channels is not (1 or 3))
            throw new UserInputException($"{root}: images from files are made grey (1 channel) or RGB (3); the model takes {transform.Channels} channels");
        var classes = ListFiles(root);
        var files = classes.SelectMany((c, label) => c.Files.Select(f => (Path: f, Label: (long)label))).ToArray();

        int size = transform.ImageSize, channels = transform.Channels;
        long perImage = (long)channels * size * size;
        using var images = empty([files.Length, channels, size, size], ScalarType.Byte);
        using (var flat = images.view(files.Length, perImage))
        {
            for (int start = 0; start < files.Length; start += DecodeChunk)
            {
                int count = Math.Min(DecodeChunk, files.Length - start);
                var decoded = new byte[count][];
                var errors = new Exception?[count];
                // Each image lands in its own slot and errors are reported by position, not by which thread
                // failed first, so parallel decoding gives the same dataset, and the same error, every time.
                Parallel.For(0, count, i =>
                {
                    try { decoded[i] = ImageDecoder.Decode(files[start + i].Path, size, channels); }
                    catch (InvalidDataException e) { errors[i] = e; }
                });
                if (errors.FirstOrDefault(e => e is not null) is { } error) throw error;
                for (int i = 0; i < count; i++)
                {
                    using var slot = flat[start + i];
                    decoded[i].CopyTo(slot.bytes);
                }
            }
        }
        using var labels = tensor(files.Select(f => f.Label).ToArray(), ScalarType.Int64);
        return new ImageDataset(images, labels, transform, root, classes.Select(c => c.Name).ToArray());
    }

    /// <summary>Class folders (sorted by ordinal name) with their image files (sorted likewise); throws for a
    /// layout that is not a folder per class of images.</summary>
    static List<(string Name, string[] Files)> ListFiles(string root)
    {
        if (!Directory.Exists(root))
            throw new UserInputException(File.Exists(root)
                ? $"{root}: is a file, not a folder with one sub-folder of PNG/JPEG images per class"
                : $"{root}: no such folder");
        var folders = ClassFolders(root).ToList();
        if (folders.Count == 0)
            throw new UserInputException($"{root}: has no class folders; images must be in ROOT/<class name>/*.png|*.jpg|*.jpeg");
        var classes = new List<(string, string[])>();
        foreach (string folder in folders)
        {
            var files = Directory.EnumerateFiles(folder).Where(IsImageFile).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0)
                throw new UserInputException($"{folder}: class folder has no .png, .jpg or .jpeg images");
            classes.Add((Path.GetFileName(folder), files));
        }
        return classes;
    }

    static IEnumerable<string> ClassFolders(string root) =>
        Directory.EnumerateDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal);
}
