using Subclone.Data;
using Subclone.Data.Images;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// Trains an image classifier (ViT) with cross-entropy on labelled images in epochs of shuffled batches (seed +
/// epoch), validated by top-1 error on fixed images. The position in the data follows from the step alone, so a
/// resumed run regenerates its epoch and skips the batches already taken, which also replays the augmentation
/// draws: the next batch is the very one an unbroken run would take.
/// </summary>
public sealed class ImageClassificationTask : TrainingTask
{
    readonly ImageDataset _train, _validation;
    readonly ImageAugmentation _augmentation;
    IEnumerator<ImageBatch>? _epochBatches;
    int _epoch;

    /// <summary>Sets up training of <paramref name="model"/> on <paramref name="train"/>, evaluated on <paramref name="validation"/>.</summary>
    /// <param name="model">A ViT whose labels cover the datasets' classes.</param>
    /// <param name="train">Images trained on, in seeded shuffled epochs.</param>
    /// <param name="validation">Images whose top-1 error is the run's validation metric.</param>
    /// <param name="options">Steps, batch size, optimizer and schedule (SequenceLength is unused).</param>
    /// <param name="augmentation">Random crops / flips of training batches, or null for none.</param>
    public ImageClassificationTask(TransformerModel model, ImageDataset train, ImageDataset validation, TrainingOptions options,
        ImageAugmentation? augmentation = null)
        : base(model, options, ValidationMetric.TopOneError, "images")
    {
        if (model.Config.Family.Kind != FamilyKind.ImageClassifier) throw new UserInputException($"image training needs a ViT, not {model.Config.ArchitectureName}");
        if (train.Classes > model.Config.Labels || validation.Classes > model.Config.Labels)
            throw new UserInputException($"{train.Origin} has {Math.Max(train.Classes, validation.Classes)} classes but the model has {model.Config.Labels} labels");
        if (train.Count < options.BatchSize) throw new UserInputException($"{train.Origin}: {train.Count} training images are fewer than one batch of {options.BatchSize}");
        if (validation.Count == 0 && options.EvalEvery > 0) throw new UserInputException($"{validation.Origin}: no validation images");
        _train = train;
        _validation = validation;
        _augmentation = augmentation ?? ImageAugmentation.None;
    }

    /// <summary>Optimizer steps in one pass over the training images (the last partial batch is dropped).</summary>
    public int StepsPerEpoch => _train.Count / Options.BatchSize;

    /// <summary>0: the step fixes the position (epoch = step / <see cref="StepsPerEpoch"/>).</summary>
    public override ulong SamplerState => 0;

    /// <inheritdoc/>
    public override void Resume(TrainingState state)
    {
        // Micro-batches taken so far; each is one batch of the epoch's order.
        long taken = (long)state.Step * Options.GradAccum;
        StartEpoch((int)(taken / StepsPerEpoch));
        for (long skip = taken % StepsPerEpoch; skip > 0; skip--)
        {
            _epochBatches!.MoveNext();
            _epochBatches.Current.Dispose();
        }
    }

    void StartEpoch(int epoch)
    {
        _epochBatches?.Dispose();
        _epoch = epoch;
        _epochBatches = _train.Batches(Options.BatchSize, Options.Seed + epoch, shuffle: true, _augmentation, dropLast: true).GetEnumerator();
    }

    /// <inheritdoc/>
    public override (Tensor Loss, long Count) NextLoss()
    {
        if (_epochBatches is null) StartEpoch(0);
        if (!_epochBatches!.MoveNext())
        {
            StartEpoch(_epoch + 1);
            _epochBatches!.MoveNext();
        }
        // Made inside the step's dispose scope, which frees it with the step's other tensors.
        var batch = _epochBatches.Current;
        return (nn.functional.cross_entropy(Model.Forward(batch.Pixels), batch.Labels), batch.Labels.shape[0]);
    }

    /// <summary>Top-1 error on the validation images.</summary>
    public override double Evaluate()
    {
        var batches = _validation.Batches(256, seed: 0, shuffle: false).Select(ModelBatch.Of).ToList();
        try { return 1 - Evaluation.Accuracy(Model, batches); }
        finally { foreach (var b in batches) b.Dispose(); }
    }

    /// <inheritdoc/>
    public override TrainingState Annotate(TrainingState state) => state with { Augmentation = _augmentation };

    /// <summary>Ends the epoch's batch sequence (the model and datasets belong to the caller).</summary>
    public override void Dispose() => _epochBatches?.Dispose();
}
