using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>One init's run in a comparison, at one seed: its evaluation curve and the headline numbers.</summary>
public sealed record ComparisonRun(string Init, long Parameters, double LearningRate, double WeightDecay, List<StepMetrics> History)
{
    /// <summary>The sampler and initialisation seed the run used; runs of different inits with the same seed saw the same batches.</summary>
    public long Seed { get; init; }

    /// <summary>The steps the run was set to train (its budget).</summary>
    public int Steps { get; init; }

    /// <summary>The run stopped because its loss became NaN or infinite (too high a learning rate): it has no final
    /// value (+∞, so a sweep never picks it) and never reaches a target after it stopped.</summary>
    public bool Diverged { get; init; }

    /// <summary>The validation metric at the first evaluation (step 0: the child as initialised).</summary>
    public double InitialLoss => History.First(h => h.Validation is not null).Validation!.Value;
    /// <summary>The validation metric at the last evaluation.</summary>
    public double FinalLoss => Diverged ? double.PositiveInfinity : History.Last(h => h.Validation is not null).Validation!.Value;

    /// <summary>The step at which the validation curve first reaches <paramref name="target"/>, interpolated
    /// between evaluations (<see cref="CurveCrossing"/>), or null.</summary>
    public double? StepsToReach(double target) => CurveCrossing.FirstReaching(Curve(h => h.Step), target);

    /// <summary>Like <see cref="StepsToReach"/>, in units trained on (tokens, images, sentences).</summary>
    public double? SeenToReach(double target) => CurveCrossing.FirstReaching(Curve(h => h.Seen), target);

    List<(double X, double Value)> Curve(Func<StepMetrics, double> x) =>
        [.. History.Where(h => h.Validation is not null).Select(h => (x(h), h.Validation!.Value))];
}

/// <summary>
/// The comparison's summary at one setting per init (its preset, or its best grid point): each init's start and
/// end value, and how many steps it took to reach the random child's final value (interpolated between
/// evaluations), as a speed-up over random (the paper's headline is ~4×). With several seeds every figure is
/// measured per seed, against the random child of the same seed, and reported as mean, min and max.
/// </summary>
public sealed record ComparisonResult(List<ComparisonRun> Runs, int Steps, string Parent, string ChildShape)
{
    /// <summary>What the curves measure: next-token loss for decoders, 1 − cosine for distilled encoders, top-1
    /// error for image classifiers.</summary>
    public ValidationMetric Validation { get; init; } = ValidationMetric.NextTokenLoss;

    /// <summary>What the curves measure, in words (summary.json's "metric").</summary>
    public string Metric => Validation.Description;

    /// <summary>What the runs' counts are of (tokens, images, sentences).</summary>
    public string Unit => Runs.SelectMany(r => r.History).FirstOrDefault()?.Unit ?? "tokens";

    /// <summary>Image runs: optimizer steps per pass over the training images, so curves and results read in epochs
    /// as the paper's do; null for text, which is sampled rather than passed over.</summary>
    public int? StepsPerEpoch { get; init; }

    /// <summary>Image runs: the curve is top-1 error, plotted as accuracy (1 − error), which is what people read.</summary>
    public bool PlotAccuracy { get; init; }

    /// <summary>The inits compared, in the order they ran.</summary>
    public IReadOnlyList<string> Inits => [.. Runs.Select(r => r.Init).Distinct()];

    /// <summary>The runs of <paramref name="init"/>, one per seed.</summary>
    public IReadOnlyList<ComparisonRun> RunsOf(string init) => [.. Runs.Where(r => r.Init == init)];

    /// <summary>The random child's final value at <paramref name="seed"/>, the target every init of that seed is timed to; null without a random run.</summary>
    public double? TargetAt(long seed) => Runs.FirstOrDefault(r => r.Init == "random" && r.Seed == seed && !r.Diverged)?.FinalLoss;

    /// <summary>Steps the random child of the run's seed needed to reach its own final value over the steps the
    /// run needed to reach it: &gt;1 means faster than random; null when the run never reached it, or reached it
    /// before training (no finite speed-up).</summary>
    public double? SpeedUp(ComparisonRun run)
    {
        var random = Runs.FirstOrDefault(r => r.Init == "random" && r.Seed == run.Seed);
        if (random is null || random.Diverged) return null;
        double target = random.FinalLoss;
        return run.StepsToReach(target) is double steps and > 0 && random.StepsToReach(target) is double randomSteps ? randomSteps / steps : null;
    }

    /// <summary>The speed-up of <paramref name="init"/> over its seeds.</summary>
    public Spread? SpeedUpOf(string init) => Spread.Of(RunsOf(init).Select(SpeedUp));

    double? Epochs(double? steps) => steps is double s && StepsPerEpoch is int e ? s / e : null;

    static JsonNode? Figure(IEnumerable<double?> values, int digits) => Spread.Of(values)?.ToJson(digits);

    /// <summary>One init's entry in summary.json: its preset, and each figure's mean, min and max over seeds.</summary>
    public JsonObject InitJson(string init)
    {
        var runs = RunsOf(init);
        var reached = runs.Select(r => TargetAt(r.Seed) is double t ? r.StepsToReach(t) : null).ToList();
        return new JsonObject
        {
            ["params"] = runs[0].Parameters,
            ["lr"] = runs[0].LearningRate,
            ["wd"] = runs[0].WeightDecay,
            ["init_loss"] = Figure(runs.Select(r => (double?)r.InitialLoss), 4),
            ["final_loss"] = Figure(runs.Select(r => (double?)r.FinalLoss), 4),
            ["steps_to_random_final"] = Figure(reached, 1),
            [$"{Unit}_to_random_final"] = Figure(runs.Select(r => TargetAt(r.Seed) is double t ? r.SeenToReach(t) : null), 0),
            ["epochs_to_random_final"] = Figure(reached.Select(Epochs), 3),
            // Steps random needed over steps this init needed: >1 means faster than random. A child already at
            // random's final value before training has no finite speed-up; seeds_reached_at_init counts those.
            ["speedup_vs_random"] = Figure(runs.Select(SpeedUp), 2),
            ["seeds"] = runs.Count,
            ["seeds_reached"] = reached.Count(s => s is not null),
            ["seeds_reached_at_init"] = reached.Count(s => s == 0),
        };
    }

    /// <summary>summary.json: per init its preset, values, steps to reach random's final value and the speed-up.</summary>
    public JsonObject ToJson()
    {
        var inits = new JsonObject();
        foreach (string init in Inits) inits[init] = InitJson(init);
        return new JsonObject
        {
            ["parent"] = Parent,
            ["child"] = ChildShape,
            ["steps"] = Steps,
            ["steps_per_epoch"] = StepsPerEpoch,
            ["epochs"] = Epochs(Steps) is double e ? Math.Round(e, 3) : null,
            ["metric"] = Metric,
            ["seeds"] = new JsonArray([.. Runs.Select(r => r.Seed).Distinct().Select(s => (JsonNode)s)]),
            ["target_loss"] = Figure(RunsOf("random").Select(r => (double?)r.FinalLoss), 4),
            ["inits"] = inits,
        };
    }
}
