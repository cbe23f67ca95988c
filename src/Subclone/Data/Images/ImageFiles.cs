namespace Subclone.Data.Images;

/// <summary>Finds the labels file that belongs to an IDX images file, by the MNIST naming convention.</summary>
public static class ImageFiles
{
    /// <summary>Whether <paramref name="path"/> is an existing IDX images file (its name holds "images-idx3", as MNIST's do).</summary>
    public static bool IsIdxImages(string path) =>
        File.Exists(path) && Path.GetFileName(path).Contains("images-idx3", StringComparison.OrdinalIgnoreCase);

    /// <summary>t10k-images-idx3-ubyte.gz → t10k-labels-idx1-ubyte.gz (same folder).</summary>
    public static string LabelsFor(string imagesPath)
    {
        string name = Path.GetFileName(imagesPath).Replace("images-idx3", "labels-idx1", StringComparison.OrdinalIgnoreCase);
        string labels = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagesPath))!, name);
        return File.Exists(labels) ? labels : throw new UserInputException($"{imagesPath}: no labels file {name} beside it");
    }
}
