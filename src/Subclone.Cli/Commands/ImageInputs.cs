using Subclone.Data.Images;

namespace Subclone.Cli.Commands;

/// <summary>Labelled images named on the command line (--data, --val-data) for a ViT's transform.</summary>
static class ImageInputs
{
    public static ImageDataset Load(string path, ImageTransform transform) =>
        ImageFiles.IsIdxImages(path) ? ImageDataset.LoadIdx(path, ImageFiles.LabelsFor(path), transform)
        : throw new UserInputException($"{path}: not an IDX images file (…images-idx3-ubyte[.gz], labels beside it)");
}
