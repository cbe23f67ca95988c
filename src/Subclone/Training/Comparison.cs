using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Data;
using Subclone.Models;

namespace Subclone.Training;

/// <summary>What to compare: the child's shape, the starts, and the shared training budget.</summary>
public sealed record ComparisonPlan
{
    /// <summary>The child's shape, the same for every init.</summary>
    public required CloneTarget Target { get; init; }
    /// <summary>The starts to compare.</summary>
    public required IReadOnlyList<ChildInit> Inits { get; init; }
    /// <summary>Steps, batch shape and schedule shared by every run; the learning rate and weight decay come from each init's preset.</summary>
    public required TrainingOptions Training { get; init; }
    /// <summary>How the subcloned starts choose what to keep.</summary>
    public CloneOptions Cloning { get; init; } = new();
    /// <summary>Overrides of the paper presets, per init.</summary>
    public IReadOnlyDictionary<ChildInit, (double LearningRate, double WeightDecay)> Presets { get; init; } =
        new Dictionary<ChildInit, (double, double)>();
    /// <summary>Calibration windows (of the training sequence length) drawn from the training split.</summary>
    public int CalibrationBatches { get; init; } = 8;
    /// <summary>The grid, seeds and budgets every init is repeated over (default: its preset, one seed, one budget).</summary>
    public ComparisonSweep Sweep { get; init; } = new();

    /// <summary>Refuses a plan that cannot be compared, before any work: the options' own checks, and evaluation
    /// turned off (a comparison is measured on its validation curves).</summary>
    public void Validate()
    {
        Training.Validate();
        if (Training.EvalEvery <= 0)
            throw new UserInputException($"--eval-every must be positive for compare, got {Training.EvalEvery}: the comparison is measured on each child's validation curve");
        if (Inits.Count == 0) throw new UserInputException("--inits names no init");
        Sweep.Validate(Training.Steps);
        foreach (var (init, (lr, wd)) in Presets)
        {
            string who = init == ChildInit.Random ? "--random" : "--subclone";
            if (!(lr > 0 && double.IsFinite(lr))) throw new UserInputException($"{who}-lr must be positive, got {lr}");
            if (!(wd >= 0 && double.IsFinite(wd))) throw new UserInputException($"{who}-wd must not be negative, got {wd}");
        }
    }
}

/// <summary>Runs one compared child's training of <paramref name="steps"/> steps: <paramref name="train"/> trains it,
/// reporting each metrics row to the progress it is given; a caller wraps it (e.g. in a progress bar named
/// <paramref name="label"/>: the init, grid point, seed, the run's place and the time left for the comparison).</summary>
public delegate TrainingSummary ChildRunner(string label, int steps, Func<IProgress<StepMetrics>, TrainingSummary> train);

/// <summary>
/// The paper's experiment: build the same-shaped child several ways, train each for the same steps on the same
/// batches (same sampler seed) with its own optimiser preset, evaluate on the same validation windows, and
/// report how soon each reaches the random child's final loss.
/// </summary>
public static partial class Comparison
{
    /// <summary>
    /// Runs the comparison for a decoder parent on <paramref name="data"/>: each init's child is built, trained on
    /// next tokens and evaluated, its run written under <paramref name="outDir"/>/&lt;init&gt;.
    /// <paramref name="runChild"/> wraps each run (e.g. with a progress bar).
    /// </summary>
    public static ComparisonOutcome Run(ModelSource parent, TokenDataset data, ComparisonPlan plan, string outDir,
        Action<string>? status = null, ChildRunner? runChild = null, CancellationToken cancel = default)
    {
        if (!parent.Model.Config.IsDecoder) throw new UserInputException($"compare trains decoders; {parent.Model.Config.ArchitectureName} is not one yet");
        plan.Validate();
        var childConfig = plan.Target.Apply(parent.Model.Config);
        var opts = plan.Training;

        ImportanceScores? scores = null;
        if (plan.Inits.Any(ChildInits.IsSubcloned))
        {
            status?.Invoke("calibrating the parent on the training split");
            var calibration = new TokenBatcher(data, opts.BatchSize, opts.SequenceLength, (ulong)opts.Seed ^ 0xCA11B).FixedWindows(data.Train, plan.CalibrationBatches);
            scores = Calibrator.Measure(parent.Model, calibration, string.Join(",", data.Info.Inputs), opts.Seed);
        }

        // The same sampler seed for every init (and grid point) of a seed: each child sees exactly the same batches
        // in the same order. The distillation arm also learns the parent's next-token distribution.
        string shape = $"hidden {childConfig.Hidden}, layers {childConfig.Layers}, heads {childConfig.Heads}/{childConfig.KvHeads}, ffn {childConfig.Ffn}";
        return TrainEach(parent, childConfig, scores, plan, outDir, status, runChild, cancel, ChildInits.PaperPreset, "training",
            (child, _, init, options) => new LanguageModelTask(child, new TokenBatcher(data, opts.BatchSize, opts.SequenceLength, (ulong)options.Seed), options)
            {
                Teacher = init == ChildInit.SubcloneDistill ? parent.Model : null,
            },
            (runs, steps) => new ComparisonResult(runs, steps, parent.Origin, shape) { Validation = ValidationMetric.NextTokenLoss });
    }

    /// <summary>The child for an init, and the parent residual dims each of its dims stands for.</summary>
    static (TransformerModel Child, int[] Dims) Build(TransformerModel parent, ModelConfig childConfig, ChildInit init, ImportanceScores? scores, ComparisonPlan plan, long seed)
    {
        var target = plan.Target;
        CloneResult Cut(Selection selection, bool scale, ImportanceScores? s) =>
            Subcloner.Clone(parent, target, s, plan.Cloning with { Selection = selection, Scale = scale });
        switch (init)
        {
            case ChildInit.Random:
                // A random child stands for no parent dims; it is compared through the subclone's (or the first d).
                var dims = scores is not null ? ClonePlanner.TopK(scores.ResidualGlobal, childConfig.Hidden) : Enumerable.Range(0, childConfig.Hidden).ToArray();
                return (TransformerModel.Create(childConfig, seed), dims);
            case ChildInit.Subclone or ChildInit.SubcloneDistill: { var c = Cut(Selection.Importance, true, scores); return (c.Child, c.Map.ResidualDims); }
            case ChildInit.SubcloneNoScale: { var c = Cut(Selection.Importance, false, scores); return (c.Child, c.Map.ResidualDims); }
            case ChildInit.Uniform: { var c = Cut(Selection.Uniform, false, null); return (c.Child, c.Map.ResidualDims); }
            case ChildInit.First: { var c = Cut(Selection.First, false, null); return (c.Child, c.Map.ResidualDims); }
            default: throw new ArgumentOutOfRangeException(nameof(init));
        }
    }

    /// <summary>
    /// The encoder version: each child is distilled toward the parent's sentence embeddings (restricted to the parent
    /// dims it stands for) on the same sentences in the same order; the curve is 1 − cosine to the parent on
    /// held-out sentences.
    /// </summary>
    public static ComparisonOutcome RunEncoder(ModelSource parent, IReadOnlyList<string> documents, ComparisonPlan plan, string outDir,
        Action<string>? status = null, ChildRunner? runChild = null, CancellationToken cancel = default)
    {
        plan.Validate();
        if (parent.Tokenizer is not Data.Tokenizers.IEncoderTokenizer tokenizer)
            throw new UserInputException($"{parent.Origin} has no encoder tokenizer (vocab.txt)");
        var opts = plan.Training;
        var childConfig = plan.Target.Apply(parent.Model.Config);
        status?.Invoke("tokenising sentences");
        var (train, validation) = DistillationSentences.Split(documents, tokenizer, parent.Model.Config.MaxPositions, opts);

        ImportanceScores? scores = null;
        if (plan.Inits.Any(i => ChildInits.IsSubcloned(i) || i == ChildInit.Random))
        {
            status?.Invoke("calibrating the parent");
            scores = Calibrator.Measure(parent.Model, train.Take(plan.CalibrationBatches).ToList(), "training sentences", opts.Seed);
        }

        // Every encoder child is distilled toward the parent, so subclone+distill trains exactly as subclone does.
        string shape = $"hidden {childConfig.Hidden}, layers {childConfig.Layers}, heads {childConfig.Heads}, ffn {childConfig.Ffn}";
        try
        {
            return TrainEach(parent, childConfig, scores, plan, outDir, status, runChild, cancel, ChildInits.PaperPreset, "distilling",
                (child, dims, _, options) => new EmbeddingDistillationTask(child, parent.Model, dims, train, validation, options),
                (runs, steps) => new ComparisonResult(runs, steps, parent.Origin, shape) { Validation = ValidationMetric.EmbeddingDistance });
        }
        finally
        {
            foreach (var batch in train.Concat(validation)) batch.Dispose();
        }
    }

    /// <summary>
    /// The image version (ViT): each child is trained with cross-entropy on the same labelled images in the same
    /// order; the curve is top-1 error on held-out images, and the speed-up is how soon each reaches random's
    /// final accuracy.
    /// </summary>
    /// <param name="parent">The ViT parent the children are cut from.</param>
    /// <param name="images">Labelled training images (and, without <paramref name="validationImages"/>, the held-out tenth).</param>
    /// <param name="plan">The child's shape, the inits and the shared training budget.</param>
    /// <param name="outDir">Where each init's trained child is saved.</param>
    /// <param name="status">Receives one-line progress messages.</param>
    /// <param name="runChild">Wraps each child's run, e.g. in a progress bar.</param>
    /// <param name="validationImages">Images to evaluate on, e.g. the dataset's test set; without them a seeded tenth
    /// of <paramref name="images"/> is held out. Give them when the parent trained on <paramref name="images"/>: a held-out
    /// tenth of its own training data flatters every child that inherits its weights.</param>
    /// <param name="cancel">Ctrl+C: the running child checkpoints the step it reached and the comparison stops.</param>
    public static ComparisonOutcome RunImages(ModelSource parent, Data.Images.ImageDataset images, ComparisonPlan plan, string outDir,
        Action<string>? status = null, ChildRunner? runChild = null, Data.Images.ImageDataset? validationImages = null,
        CancellationToken cancel = default)
    {
        plan.Validate();
        RefuseDistillationOfImages(plan);
        var opts = plan.Training;
        var childConfig = plan.Target.Apply(parent.Model.Config);
        using var split = validationImages is null ? Data.Images.ImageSplit.HoldOut(images, opts.Seed) : null;
        var (train, validation) = split is not null ? (split.Train, split.Validation) : (images, validationImages!);

        ImportanceScores? scores = null;
        if (plan.Inits.Any(ChildInits.IsSubcloned))
        {
            status?.Invoke("calibrating the parent on training images");
            var calibration = train.Batches(32, opts.Seed, shuffle: true).Take(plan.CalibrationBatches)
                .Select(ModelBatch.Of).ToList();
            scores = Calibrator.Measure(parent.Model, calibration, images.Origin, opts.Seed);
            foreach (var batch in calibration) batch.Dispose();
        }

        string shape = $"hidden {childConfig.Hidden}, layers {childConfig.Layers}, heads {childConfig.Heads}, ffn {childConfig.Ffn}";
        return TrainEach(parent, childConfig, scores, plan, outDir, status, runChild, cancel, ChildInits.PaperVitPreset, "training",
            (child, _, _, options) => new ImageClassificationTask(child, train, validation, options),
            (runs, steps) => new ComparisonResult(runs, steps, parent.Origin, shape)
            {
                Validation = ValidationMetric.TopOneError, StepsPerEpoch = train.Count / opts.BatchSize, PlotAccuracy = true,
            });
    }

    /// <summary>An image classifier has no teacher signal defined here (no logit or feature distillation for ViT).</summary>
    internal static void RefuseDistillationOfImages(ComparisonPlan plan)
    {
        if (plan.Inits.Contains(ChildInit.SubcloneDistill))
            throw new UserInputException("--inits subclone+distill is for decoders (next-token KL) and BERT (embedding distillation); ViT children have no distillation here");
    }

}
