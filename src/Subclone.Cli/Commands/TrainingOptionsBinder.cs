
namespace Subclone.Cli.Commands;

/// <summary>
/// The training options train and compare share (steps, batch shape, optimizer, schedule, evaluation), bound to
/// <see cref="TrainingOptions"/>: only the options the command line gives are laid over a baseline, so a resumed
/// run keeps its own unless they are given again.
/// </summary>
public sealed class TrainingOptionsBinder
{
    static readonly TrainingOptions D = new();

    public readonly Option<int> Steps;
    public readonly Option<int> Batch = new("--batch") { Description = "Sequences (images) per micro-batch", DefaultValueFactory = _ => D.BatchSize };
    public readonly Option<int> Seq;
    public readonly Option<int> EvalEvery;
    public readonly Option<int> EvalBatches;
    public readonly Option<int?> Warmup = new("--warmup") { Description = "Linear warmup steps (default: 10% of --steps, at most 100)" };
    public readonly Option<double> Lr = new("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => D.LearningRate };
    public readonly Option<double?> MinLr = new("--min-lr") { Description = "Learning rate at the end of the cosine decay (default: --lr / 10)" };
    public readonly Option<double> Wd = new("--wd") { Description = "AdamW weight decay on matrices", DefaultValueFactory = _ => D.WeightDecay };
    public readonly Option<int> SaveEvery = new("--save-every") { Description = "Checkpoint every N steps (0: only at the end)", DefaultValueFactory = _ => D.SaveEvery };
    public readonly Option<int> GradAccum = new("--grad-accum") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => D.GradAccum };
    public readonly Option<double> Clip = new("--clip") { Description = "Gradient-norm clipping (0: off)", DefaultValueFactory = _ => D.GradClip };
    public readonly Option<long> Seed = new("--seed") { Description = "Seed for initialisation and batch sampling", DefaultValueFactory = _ => D.Seed };
    public readonly Option<bool> DecayEmbeddings = new("--decay-embeddings") { Description = "Apply weight decay to embedding tables too" };
    public readonly Option<double> DistillTemperature = new("--distill-temperature") { Description = "Softmax temperature of distillation", DefaultValueFactory = _ => D.DistillTemperature };
    public readonly Option<double> DistillWeight = new("--distill-weight") { Description = "Weight of the distillation term", DefaultValueFactory = _ => D.DistillWeight };

    readonly Option[] _bound;

    /// <summary>All of train's options, with <see cref="TrainingOptions"/>' defaults.</summary>
    public static TrainingOptionsBinder ForTrain() => new(D, shared: false);

    /// <summary>The budget compare gives every child (steps, batch shape, evaluation, warmup), with compare's
    /// shorter defaults; the learning rate and weight decay come from each init's preset, the seed from the shape options.</summary>
    public static TrainingOptionsBinder ForCompare() =>
        new(new TrainingOptions { Steps = 500, SequenceLength = 128, EvalEvery = 25, EvalBatches = 8 }, shared: true);

    TrainingOptionsBinder(TrainingOptions defaults, bool shared)
    {
        Steps = new("--steps") { Description = shared ? "Optimizer steps for every child" : "Optimizer steps", DefaultValueFactory = _ => defaults.Steps };
        Seq = new("--seq") { Description = "Tokens per sequence", DefaultValueFactory = _ => defaults.SequenceLength };
        EvalEvery = new("--eval-every") { Description = shared ? "Evaluate every N steps" : "Evaluate every N steps (0: never)", DefaultValueFactory = _ => defaults.EvalEvery };
        EvalBatches = new("--eval-batches") { Description = "Batches in the fixed validation set", DefaultValueFactory = _ => defaults.EvalBatches };
        Option[] budget = [Steps, Batch, Seq, EvalEvery, EvalBatches, Warmup];
        _bound = shared ? budget
            : [.. budget, Lr, MinLr, Wd, SaveEvery, GradAccum, Clip, Seed, DecayEmbeddings, DistillTemperature, DistillWeight];
        Defaults = defaults;
    }

    /// <summary>The options' values when none is given.</summary>
    public TrainingOptions Defaults { get; }

    public void AddTo(Command command)
    {
        foreach (var option in _bound) command.Options.Add(option);
    }

    /// <summary>Whether the command line gave <paramref name="option"/> (rather than its default).</summary>
    public static bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>The options given on <paramref name="r"/> laid over <paramref name="baseline"/> (the rest keep the baseline's).</summary>
    public TrainingOptions Over(ParseResult r, TrainingOptions baseline)
    {
        T Pick<T>(Option<T> option, T current) => _bound.Contains(option) && Given(r, option) ? r.GetValue(option)! : current;
        return baseline with
        {
            Steps = Pick(Steps, baseline.Steps), BatchSize = Pick(Batch, baseline.BatchSize), SequenceLength = Pick(Seq, baseline.SequenceLength),
            EvalEvery = Pick(EvalEvery, baseline.EvalEvery), EvalBatches = Pick(EvalBatches, baseline.EvalBatches),
            WarmupSteps = Pick(Warmup, baseline.WarmupSteps), LearningRate = Pick(Lr, baseline.LearningRate),
            MinLearningRate = Pick(MinLr, baseline.MinLearningRate), WeightDecay = Pick(Wd, baseline.WeightDecay),
            SaveEvery = Pick(SaveEvery, baseline.SaveEvery), GradAccum = Pick(GradAccum, baseline.GradAccum), GradClip = Pick(Clip, baseline.GradClip),
            Seed = Pick(Seed, baseline.Seed), DecayEmbeddings = Pick(DecayEmbeddings, baseline.DecayEmbeddings),
            DistillTemperature = Pick(DistillTemperature, baseline.DistillTemperature), DistillWeight = Pick(DistillWeight, baseline.DistillWeight),
        };
    }
}
