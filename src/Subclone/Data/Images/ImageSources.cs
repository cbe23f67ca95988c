namespace Subclone.Data.Images;

/// <summary>
/// The one way commands read labelled images from a path the user gives: an IDX images file (MNIST layout, its
/// labels file beside it) or a folder with one sub-folder of PNG/JPEG images per class.
/// </summary>
public static class ImageSources
{
    /// <summary>What a path must be, for messages that ask for image data.</summary>
    public const string Expected = "an IDX images file (e.g. train-images-idx3-ubyte.gz, its labels file beside it) or a folder with one sub-folder of PNG/JPEG images per class";

    /// <summary>Whether <paramref name="path"/> looks like image data, so a command can choose how to read it
    /// without reading it: an existing IDX images file, or a folder with a class sub-folder holding an image.</summary>
    public static bool IsImageData(string path) => ImageFiles.IsIdxImages(path) || ImageFolder.LooksLikeImageFolder(path);

    /// <summary>The labelled images at <paramref name="path"/>, for a model that takes <paramref name="transform"/>'s input.</summary>
    /// <exception cref="UserInputException">The path is neither kind of image data, or is malformed as a layout.</exception>
    /// <exception cref="InvalidDataException">A file's contents cannot be read; the message names it.</exception>
    public static ImageDataset Load(string path, ImageTransform transform)
    {
        if (ImageFiles.IsIdxImages(path)) return ImageDataset.LoadIdx(path, ImageFiles.LabelsFor(path), transform);
        if (Directory.Exists(path)) return ImageFolder.Load(path, transform);
        throw new UserInputException(File.Exists(path) ? $"{path}: not image data; give {Expected}" : $"{path}: no such file or folder");
    }
}
