using System.Diagnostics;
using Subclone.Data.Images;
using Subclone.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Subclone.Models.Families;

namespace Subclone.Training;

/// <summary>
/// Trains an image classifier (ViT) with cross-entropy on labelled images: epochs of shuffled batches (seed +
/// epoch), AdamW with the same decay groups, warmup + cosine schedule and clipping as the text trainer. It
/// evaluates top-1 error (1 − accuracy) on a fixed validation set, which is what <see cref="StepMetrics.ValLoss"/>
/// holds here, so comparisons use the same lower-is-better machinery as language models. With a directory it
/// checkpoints and logs metrics like <see cref="Trainer"/>; a resumed run replays the epoch's order up to its step,
/// so it continues exactly.
/// </summary>
public sealed class ImageTrainer : IChildTrainer
{
    readonly TransformerModel _model;
    readonly ImageDataset _train, _validation;
    readonly ImageAugmentation _augmentation;
    readonly AdamW _optimizer;
    readonly List<Parameter> _parameters;
    readonly string? _directory;
    readonly string? _companionSource;
    readonly MetricsLog? _metrics;

    /// <summary>Every metrics row this trainer produced, in order. "tokens" counts images seen.</summary>
    public List<StepMetrics> History { get; } = [];

    /// <summary>The run's options (<see cref="TrainingOptions.SequenceLength"/> is unused for images).</summary>
    public TrainingOptions Options { get; }

    /// <summary>Where the run stands: step, images seen, losses; saved in each checkpoint.</summary>
    public TrainingState State { get; private set; }

    /// <summary>Optimizer steps in one pass over the training images (the last partial batch is dropped).</summary>
    public int StepsPerEpoch => _train.Count / Options.BatchSize;

    /// <summary>Sets up a run of <paramref name="model"/> on <paramref name="train"/>, evaluated on <paramref name="validation"/>.
    /// Construct it outside any dispose scope: the optimizer's moment tensors live as long as the trainer.</summary>
    /// <param name="model">A ViT whose labels cover the datasets' classes.</param>
    /// <param name="train">Images trained on, in seeded shuffled epochs.</param>
    /// <param name="validation">Images whose top-1 error is the run's validation metric.</param>
    /// <param name="options">Steps, batch size, optimizer and schedule (SequenceLength is unused).</param>
    /// <param name="augmentation">Random crops / flips of training batches, or null for none.</param>
    /// <param name="directory">Where checkpoints and metrics go; null keeps everything in memory (comparisons, tests).</param>
    /// <param name="resume">A checkpoint of <paramref name="model"/> to continue from (optimizer and step).</param>
    /// <param name="companionSource">A directory whose preprocessor/label files are copied into checkpoints.</param>
    /// <param name="initialState">What the state records about the data (inputs, content hash, augmentation).</param>
    public ImageTrainer(TransformerModel model, ImageDataset train, ImageDataset validation, TrainingOptions options,
        ImageAugmentation? augmentation = null, string? directory = null, TrainingCheckpoint? resume = null,
        string? companionSource = null, TrainingState? initialState = null)
    {
        options.Validate();
        if (model.Config.Family.Kind != FamilyKind.ImageClassifier) throw new UserInputException($"image training needs a ViT, not {model.Config.ArchitectureName}");
        if (train.Classes > model.Config.Labels || validation.Classes > model.Config.Labels)
            throw new UserInputException($"{train.Origin} has {Math.Max(train.Classes, validation.Classes)} classes but the model has {model.Config.Labels} labels");
        if (train.Count < options.BatchSize) throw new UserInputException($"{train.Origin}: {train.Count} training images are fewer than one batch of {options.BatchSize}");
        if (validation.Count == 0 && options.EvalEvery > 0) throw new UserInputException($"{validation.Origin}: no validation images");
        if (resume is not null && !ReferenceEquals(resume.Model, model)) throw new ArgumentException("the model to resume must be the checkpoint's model");
        _model = model;
        _train = train;
        _validation = validation;
        _augmentation = augmentation ?? ImageAugmentation.None;
        _directory = directory;
        _companionSource = companionSource;
        _metrics = directory is null ? null : new MetricsLog(directory);
        Options = options;
        torch.set_num_threads(Trainer.Threads());
        var groups = WeightDecayGroups.Of(model, options.DecayEmbeddings);
        _parameters = groups.All;
        _optimizer = groups.CreateAdamW(options);
        State = (initialState ?? new TrainingState { Options = options }) with { Options = options, Augmentation = _augmentation };
        if (resume is not null)
        {
            _optimizer.load_state_dict(resume.OptimizerPath);
            State = resume.State with { Options = options, Augmentation = _augmentation };
            _metrics?.TruncateAfter(State.Step);
        }
    }

    /// <summary>Top-1 error on the validation images.</summary>
    public double Evaluate()
    {
        var batches = _validation.Batches(256, seed: 0, shuffle: false)
            .Select(b => new Cloning.CalibrationBatch(b.Pixels, null, b.Labels)).ToList();
        double accuracy = Evaluation.Accuracy(_model, batches);
        foreach (var b in batches) { b.InputIds.Dispose(); b.Labels!.Dispose(); }
        return 1 - accuracy;
    }

    void IChildTrainer.Run(IProgress<StepMetrics>? progress) => Run(progress);

    /// <summary>
    /// Trains until <see cref="TrainingOptions.Steps"/> (or <paramref name="stopAfterStep"/>, or cancellation),
    /// evaluating and checkpointing where due and where it stops.
    /// </summary>
    public TrainingSummary Run(IProgress<StepMetrics>? progress = null, CancellationToken cancel = default, int? stopAfterStep = null)
    {
        var watch = Stopwatch.StartNew();
        int startStep = State.Step;
        long startImages = State.TokensSeen;
        double elapsedBefore = State.ElapsedSeconds;
        double Elapsed() => elapsedBefore + watch.Elapsed.TotalSeconds;
        double Throughput() => (State.TokensSeen - startImages) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
        bool evaluating = Options.EvalEvery > 0;

        if (State.Step == 0 && evaluating && State.InitialValLoss is null)
        {
            double initial = Evaluate();
            State = State with { InitialValLoss = initial, LastValLoss = initial };
            Record(new StepMetrics(0, 0, null, initial, null, 0, 0, Elapsed()), progress);
        }

        var schedule = Options.Schedule;
        int last = Math.Min(Options.Steps, stopAfterStep ?? int.MaxValue);
        bool savedAtLast = false;
        // Epoch e shuffles with seed + e; a resumed run regenerates its epoch and skips the batches already taken,
        // which also replays the augmentation draws, so the next batch is the very one an unbroken run would take.
        int epoch = State.Step / StepsPerEpoch, skip = State.Step % StepsPerEpoch;
        for (; State.Step < last && !cancel.IsCancellationRequested; epoch++, skip = 0)
        {
            foreach (var batch in _train.Batches(Options.BatchSize, Options.Seed + epoch, shuffle: true, _augmentation, dropLast: true))
            {
                using (batch)
                {
                    if (skip > 0) { skip--; continue; }
                    if (State.Step >= last || cancel.IsCancellationRequested) break;
                    int step = State.Step + 1;
                    double lr = schedule.At(step);
                    var (loss, norm) = TrainStep(batch, lr);
                    if (!double.IsFinite(loss))
                        throw new UserInputException($"the training loss became {loss} at step {step}; try a lower --lr or a smaller --clip");
                    State = State with { Step = step, TokensSeen = State.TokensSeen + Options.BatchSize, ElapsedSeconds = Elapsed(), LastTrainLoss = loss };
                    double? val = null;
                    if (Options.EvaluatesAt(step))
                    {
                        val = Evaluate();
                        State = State with { LastValLoss = val };
                    }
                    Record(new StepMetrics(step, lr, loss, val, norm, State.TokensSeen, Throughput(), State.ElapsedSeconds), progress);
                    savedAtLast = false;
                    if (Options.SavesAt(step))
                    {
                        SaveCheckpoint();
                        savedAtLast = true;
                    }
                }
            }
        }
        // Stopped early (Ctrl+C): checkpoint where it stands, so resume loses nothing.
        if (!savedAtLast && State.Step > startStep) SaveCheckpoint();

        return TrainingSummary.Of(State, startStep, watch.Elapsed.TotalSeconds, Throughput());
    }

    (double Loss, double? GradNorm) TrainStep(ImageBatch batch, double lr)
    {
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
        _model.train();
        using var scope = NewDisposeScope();
        var loss = nn.functional.cross_entropy(_model.Forward(batch.Pixels), batch.Labels);
        loss.backward();
        double? norm = Options.GradClip > 0 ? nn.utils.clip_grad_norm_(_parameters, Options.GradClip) : null;
        _optimizer.step();
        _optimizer.zero_grad();
        return (loss.item<float>(), norm);
    }

    /// <summary>Writes the model, optimizer and state to the run directory (atomically); no-op without one.</summary>
    public void SaveCheckpoint()
    {
        if (_directory is null) return;
        TrainingCheckpoint.Save(_directory, _model, _optimizer, State, _companionSource);
    }

    void Record(StepMetrics row, IProgress<StepMetrics>? progress)
    {
        row = row with { ValIsError = true };
        History.Add(row);
        _metrics?.Append(row);
        progress?.Report(row);
    }

    /// <summary>Frees the optimizer's moment tensors (the model and datasets belong to the caller).</summary>
    public void Dispose() => _optimizer.Dispose();
}
