using System.Globalization;
using Subclone.Data.Images;
using Subclone.Models;
using Subclone.Training;

namespace Subclone.Cli.Commands;

/// <summary>
/// The image half of <c>subclone train</c>: a ViT trained with cross-entropy on labelled images, validated on
/// --val-data (or a seeded tenth of --data), checkpointed in --out like a text run and resumable exactly.
/// </summary>
static class TrainImages
{
    public static TrainingSummary Run(CliIo io, bool quiet, TransformerModel model, TrainingOptions options, TrainingCheckpoint? checkpoint,
        string outDir, string[]? data, string? validationPath, ImageAugmentation augmentation, string? companionSource, bool force)
    {
        var status = Progress.Status(io, quiet);
        if (data is { Length: > 1 }) throw new UserInputException("a ViT trains on one image source: give --data one IDX images file or one folder per class");
        string trainPath = data is { Length: 1 } ? Path.GetFullPath(data[0])
            : checkpoint?.State.DataInputs.FirstOrDefault()
              ?? throw new UserInputException($"a ViT trains on labelled images: give --data {ImageSources.Expected}");
        validationPath = validationPath is not null ? Path.GetFullPath(validationPath) : checkpoint?.State.ValidationInput;

        var transform = ImageTransform.For(model.Config);
        status($"reading {trainPath}");
        using var all = Subclone.Data.Images.ImageSources.Load(trainPath, transform);
        string contentHash = all.ContentSha256();
        if (checkpoint?.State.DataSha256 is string sha && sha != contentHash)
            throw new UserInputException($"--resume: the training images changed since the checkpoint (content hash {sha[..12]}… is now {contentHash[..12]}…); it cannot continue exactly");
        using var given = validationPath is null ? null : Subclone.Data.Images.ImageSources.Load(validationPath, transform);
        using var split = given is null ? ImageSplit.HoldOut(all, options.Seed) : null;
        var (train, validation) = split is not null ? (split.Train, split.Validation) : (all, given!);

        if (force && checkpoint is null && Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        var initial = new TrainingState
        {
            Options = options, DataInputs = [trainPath], DataSha256 = contentHash, ValidationInput = validationPath, Augmentation = augmentation,
        };
        using var trainer = new ImageTrainer(model, train, validation, options, augmentation, outDir, checkpoint, companionSource, initial);
        double epochs = (double)options.Steps * options.BatchSize / train.Count;
        status(string.Format(CultureInfo.InvariantCulture, "training {0} ({1:N0} parameters) for {2} steps of {3} images ({4:F1} epochs of {5:N0}); validating on {6:N0} images{7}",
            model.Config.ArchitectureName, model.ParameterCount(), options.Steps, options.BatchSize, epochs, train.Count, validation.Count,
            validationPath is null ? " held out from --data" : ""));

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return Progress.RunWithStatus(io, quiet, options.Steps, trainer.State.Step, report =>
                trainer.Run(new TrainCommand.StepReporter(row => report(row.Step, TrainCommand.Describe(row, options.Steps, "img/s"))), cancel.Token));
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
