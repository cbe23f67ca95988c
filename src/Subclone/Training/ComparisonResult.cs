using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>One init's run in a comparison: its evaluation curve and the headline numbers.</summary>
public sealed record ComparisonRun(string Init, long Parameters, double LearningRate, double WeightDecay, List<StepMetrics> History)
{
    /// <summary>The validation metric at the first evaluation (step 0: the child as initialised).</summary>
    public double InitialLoss => History.First(h => h.Validation is not null).Validation!.Value;
    /// <summary>The validation metric at the last evaluation.</summary>
    public double FinalLoss => History.Last(h => h.Validation is not null).Validation!.Value;

    /// <summary>The first evaluated step whose validation metric is at or below <paramref name="target"/>, or null.</summary>
    public int? FirstStepReaching(double target) => History.FirstOrDefault(h => h.Validation is double v && v <= target)?.Step;
}

/// <summary>
/// The comparison's summary: each init's start and end loss, and how many steps it took to reach the random
/// child's final validation loss, as a speed-up over random (the paper's headline is ~4×).
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

    double? Epochs(int? steps) => steps is int s && StepsPerEpoch is int e ? Math.Round((double)s / e, 2) : null;

    /// <summary>summary.json: per init its preset, losses, steps to reach random's final loss and the speed-up.</summary>
    public JsonObject ToJson()
    {
        var random = Runs.FirstOrDefault(r => r.Init == "random");
        double? target = random?.FinalLoss;
        var inits = new JsonObject();
        foreach (var run in Runs)
        {
            int? reached = target is double t ? run.FirstStepReaching(t) : null;
            inits[run.Init] = new JsonObject
            {
                ["params"] = run.Parameters,
                ["lr"] = run.LearningRate,
                ["wd"] = run.WeightDecay,
                ["init_loss"] = Math.Round(run.InitialLoss, 4),
                ["final_loss"] = Math.Round(run.FinalLoss, 4),
                ["steps_to_random_final"] = reached,
                ["epochs_to_random_final"] = Epochs(reached),
                // Steps random needed over steps this init needed: >1 means faster than random.
                // A child already at random's final value before training has no finite speed-up: null, with reached_at_init.
                ["speedup_vs_random"] = reached is int s and > 0 && random is not null ? Math.Round((double)random.FirstStepReaching(target!.Value)!.Value / s, 2) : null,
                ["reached_at_init"] = reached == 0,
            };
        }
        return new JsonObject
        {
            ["parent"] = Parent,
            ["child"] = ChildShape,
            ["steps"] = Steps,
            ["steps_per_epoch"] = StepsPerEpoch,
            ["epochs"] = Epochs(Steps),
            ["metric"] = Metric,
            ["target_loss"] = target is double v ? Math.Round(v, 4) : null,
            ["inits"] = inits,
        };
    }
}
