using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Data;
using Subclone.Models;

namespace Subclone.Training;

/// <summary>What to compare: the child's shape, the starts, and the shared training budget.</summary>
public sealed record ComparisonPlan
{
    public required CloneTarget Target { get; init; }
    public required IReadOnlyList<ChildInit> Inits { get; init; }
    public required TrainingOptions Training { get; init; }
    public CloneOptions Cloning { get; init; } = new();
    /// <summary>Overrides of the paper presets, per init.</summary>
    public IReadOnlyDictionary<ChildInit, (double LearningRate, double WeightDecay)> Presets { get; init; } =
        new Dictionary<ChildInit, (double, double)>();
    /// <summary>Calibration windows (of the training sequence length) drawn from the training split.</summary>
    public int CalibrationBatches { get; init; } = 8;
}

/// <summary>
/// The paper's experiment: build the same-shaped child several ways, train each for the same steps on the same
/// batches (same sampler seed) with its own optimiser preset, evaluate on the same validation windows, and
/// report how soon each reaches the random child's final loss.
/// </summary>
public static class Comparison
{
    public static ComparisonResult Run(ModelSource parent, TokenDataset data, ComparisonPlan plan, string outDir,
        Action<string>? status = null, Func<string, Func<IProgress<StepMetrics>, TrainingSummary>, TrainingSummary>? runWithProgress = null)
    {
        if (!parent.Model.Config.IsDecoder) throw new UserInputException($"compare trains decoders; {parent.Model.Config.ArchitectureName} is not one yet");
        var childConfig = plan.Target.Apply(parent.Model.Config);
        var opts = plan.Training;

        ImportanceScores? scores = null;
        if (plan.Inits.Any(i => i is ChildInit.Subclone or ChildInit.SubcloneNoScale))
        {
            status?.Invoke("calibrating the parent on the training split");
            var calibration = new TokenBatcher(data, opts.BatchSize, opts.SequenceLength, (ulong)opts.Seed ^ 0xCA11B).FixedWindows(data.Train, plan.CalibrationBatches);
            scores = Calibrator.Measure(parent.Model, calibration, string.Join(",", data.Info.Inputs), opts.Seed);
        }

        var runs = new List<ComparisonRun>();
        foreach (var init in plan.Inits)
        {
            string name = ChildInits.Name(init);
            var child = Build(parent.Model, childConfig, init, scores, plan);
            var (lr, wd) = plan.Presets.TryGetValue(init, out var preset) ? preset : ChildInits.PaperPreset(init);
            var options = opts with { LearningRate = lr, WeightDecay = wd, MinLearningRate = lr / 10 };
            // The same sampler seed for every init: each child sees exactly the same batches in the same order.
            var batcher = new TokenBatcher(data, opts.BatchSize, opts.SequenceLength, (ulong)opts.Seed);
            using var trainer = new Trainer(child, batcher, options, Path.Combine(outDir, name), companionSource: parent.Directory);
            status?.Invoke($"training {name} (lr {lr:G3}, wd {wd:G3})");
            if (runWithProgress is not null) runWithProgress(name, p => trainer.Run(p));
            else trainer.Run();
            runs.Add(new ComparisonRun(name, child.ParameterCount(), lr, wd, [.. trainer.History]));
            child.Dispose();
        }
        string shape = $"hidden {childConfig.Hidden}, layers {childConfig.Layers}, heads {childConfig.Heads}/{childConfig.KvHeads}, ffn {childConfig.Ffn}";
        return new ComparisonResult(runs, opts.Steps, parent.Origin, shape);
    }

    static TransformerModel Build(TransformerModel parent, ModelConfig childConfig, ChildInit init, ImportanceScores? scores, ComparisonPlan plan)
    {
        var target = plan.Target;
        return init switch
        {
            ChildInit.Random => TransformerModel.Create(childConfig, plan.Training.Seed),
            ChildInit.Subclone => Subcloner.Clone(parent, target, scores, plan.Cloning with { Selection = Selection.Importance, Scale = true }).Child,
            ChildInit.SubcloneNoScale => Subcloner.Clone(parent, target, scores, plan.Cloning with { Selection = Selection.Importance, Scale = false }).Child,
            ChildInit.Uniform => Subcloner.Clone(parent, target, null, plan.Cloning with { Selection = Selection.Uniform, Scale = false }).Child,
            ChildInit.First => Subcloner.Clone(parent, target, null, plan.Cloning with { Selection = Selection.First, Scale = false }).Child,
            _ => throw new ArgumentOutOfRangeException(nameof(init)),
        };
    }
}
