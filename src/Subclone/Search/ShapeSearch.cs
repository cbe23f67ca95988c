using System.Diagnostics;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Training;

namespace Subclone.Search;

/// <summary>How a search probes its best candidates.</summary>
public sealed record SearchPlan
{
    /// <summary>The candidates' shapes (<see cref="ShapeSpace.Enumerate"/>).</summary>
    public required SearchSpace Space { get; init; }
    /// <summary>The budget the shapes were chosen for.</summary>
    public required SearchBudget Budget { get; init; }
    /// <summary>The probe's training: steps, batch shape, weight decay, seed (the learning rate comes from the grid).</summary>
    public required TrainingOptions Probe { get; init; }
    /// <summary>How many of the best-at-init candidates are probed.</summary>
    public int Top { get; init; } = 3;
    /// <summary>The learning rates tried on the first probed candidate; the best is reused for the others.</summary>
    public IReadOnlyList<double> LearningRates { get; init; } = [1e-4, 3e-4, 1e-3];
    /// <summary>How the children are cut (importance selection, depth from block influence).</summary>
    public CloneOptions Cloning { get; init; } = new() { Depth = DepthStrategy.Influence };
}

/// <summary>Where a search stands, for a progress bar: units done of the total (one per candidate scored at init,
/// one per probe step), and what it is doing.</summary>
public readonly record struct SearchProgress(int Done, int Total, string Text);

/// <summary>
/// The search: one calibration pass over the parent gives the importance scores every candidate is cut from; each
/// candidate is scored by its validation value at init, the best <see cref="SearchPlan.Top"/> are trained for the
/// probe's steps on the same batches through <see cref="TrainingLoop"/> (the first at each learning rate of the grid,
/// the others at the best of those), and the ranking is by the validation value after the probe.
/// </summary>
public static class ShapeSearch
{
    /// <summary>Units of work a plan takes (what <see cref="SearchProgress.Total"/> counts).</summary>
    public static int Units(SearchPlan plan) =>
        plan.Space.Candidates.Count + (Math.Min(plan.Top, plan.Space.Candidates.Count) + plan.LearningRates.Count - 1) * plan.Probe.Steps;

    /// <summary>Runs <paramref name="plan"/> on <paramref name="parent"/> with <paramref name="data"/>. Ctrl+C
    /// (<paramref name="cancel"/>) stops it where it stands: the outcome holds what was measured, marked interrupted.</summary>
    public static SearchOutcome Run(TransformerModel parent, SearchData data, SearchPlan plan, IProgress<SearchProgress>? progress = null,
        Action<string>? status = null, CancellationToken cancel = default)
    {
        if (plan.Top < 1) throw new UserInputException($"--top must be positive, got {plan.Top}");
        if (plan.LearningRates.Count == 0) throw new UserInputException("--lr-grid names no learning rate");
        var probeOptions = plan.Probe with { EvalEvery = plan.Probe.Steps, SaveEvery = 0 };
        probeOptions.Validate();
        int total = Units(plan), done = 0;
        void Report(string text) => progress?.Report(new SearchProgress(done, total, text));

        status?.Invoke($"calibrating the parent on {data.Source}");
        var scores = Calibrator.Measure(parent, data.Calibration, data.Source, plan.Probe.Seed, cancel: cancel);
        var results = plan.Space.Candidates.Select(c => new CandidateResult(c, ClonePlanner.LayerMap(parent.Config, c.Config.Layers, scores, plan.Cloning))).ToList();
        var lrLosses = new List<(double Lr, double? Loss)>();
        double? chosenLr = null;
        bool interrupted = false;

        // Every candidate at init: its cut, untrained, on the held-out set.
        for (int i = 0; i < results.Count && !interrupted; i++)
        {
            if (cancel.IsCancellationRequested) { interrupted = true; break; }
            var watch = Stopwatch.StartNew();
            Report($"at init {i + 1}/{results.Count}: {results[i].Candidate.Shape}");
            var (child, map) = Cut(parent, results[i].Candidate, scores, plan.Cloning);
            using (var task = data.Task(child, map.ResidualDims, probeOptions))
                results[i] = results[i] with { InitLoss = task.Evaluate(), Seconds = watch.Elapsed.TotalSeconds };
            child.Dispose();
            done++;
        }

        // The best at init are probed; the first one also chooses the learning rate.
        var probed = results.Select((r, i) => (r, i)).Where(x => x.r.InitLoss is not null)
            .OrderBy(x => x.r.InitLoss).ThenBy(x => x.i).Take(plan.Top).Select(x => x.i).ToList();
        for (int k = 0; k < probed.Count && !interrupted; k++)
        {
            int i = probed[k];
            var watch = Stopwatch.StartNew();
            if (k == 0)
            {
                (double? Loss, bool Diverged) best = (null, false);
                foreach (double lr in plan.LearningRates)
                {
                    var (loss, diverged, stopped) = Probe(parent, results[i], scores, data, plan, probeOptions, lr, ref done, total, progress, cancel);
                    if (stopped) { interrupted = true; break; }
                    lrLosses.Add((lr, diverged ? null : loss));
                    if (!diverged && (best.Loss is null || loss < best.Loss)) { best = (loss, false); chosenLr = lr; }
                }
                if (interrupted) break;
                results[i] = results[i] with { ProbeLoss = best.Loss, Diverged = best.Loss is null, Seconds = results[i].Seconds + watch.Elapsed.TotalSeconds };
                status?.Invoke(chosenLr is double c ? $"probe learning rate {c:G3} (best of {string.Join(", ", plan.LearningRates)})" : "every learning rate of the grid diverged");
                if (chosenLr is null) break;
                continue;
            }
            var (l, d, s) = Probe(parent, results[i], scores, data, plan, probeOptions, chosenLr!.Value, ref done, total, progress, cancel);
            if (s) { interrupted = true; break; }
            results[i] = results[i] with { ProbeLoss = d ? null : l, Diverged = d, Seconds = results[i].Seconds + watch.Elapsed.TotalSeconds };
        }
        return new SearchOutcome(plan, data.Metric, scores, results, lrLosses, chosenLr) { Interrupted = interrupted || cancel.IsCancellationRequested };
    }

    /// <summary>The child for <paramref name="candidate"/>, cut from <paramref name="parent"/> with the shared scores.</summary>
    public static (TransformerModel Child, CloneMap Map) Cut(TransformerModel parent, ShapeCandidate candidate, ImportanceScores scores, CloneOptions options)
    {
        var result = Subcloner.Clone(parent, candidate.Target, scores, options);
        return (result.Child, result.Map);
    }

    /// <summary>Trains one candidate for the probe's steps at <paramref name="lr"/>: its final validation value, whether
    /// it diverged, and whether Ctrl+C stopped it before the end.</summary>
    static (double Loss, bool Diverged, bool Stopped) Probe(TransformerModel parent, CandidateResult result, ImportanceScores scores, SearchData data,
        SearchPlan plan, TrainingOptions probeOptions, double lr, ref int done, int total, IProgress<SearchProgress>? progress, CancellationToken cancel)
    {
        var (child, map) = Cut(parent, result.Candidate, scores, plan.Cloning);
        var options = probeOptions with { LearningRate = lr, MinLearningRate = lr / 10 };
        int start = done;
        string label = $"probe {result.Candidate.Shape}, lr {lr:G3}";
        try
        {
            using var loop = new TrainingLoop(data.Task(child, map.ResidualDims, options));
            var reporter = new StepReporter(row => progress?.Report(new SearchProgress(start + row.Step, total,
                row.Validation is double v && row.Step > 0 ? $"{label}: step {row.Step}/{options.Steps} val {v:F4}" : $"{label}: step {row.Step}/{options.Steps}")));
            var summary = loop.Run(reporter, cancel);
            done = start + options.Steps;
            if (summary.Stopped || cancel.IsCancellationRequested) return (double.NaN, false, true);
            return (summary.Validation ?? double.NaN, false, false);
        }
        catch (TrainingDivergedException)
        {
            done = start + options.Steps;
            return (double.NaN, true, false);
        }
        finally { child.Dispose(); }
    }

    /// <summary>Reports on the training thread at once (System.Progress would post to the thread pool).</summary>
    sealed class StepReporter(Action<StepMetrics> report) : IProgress<StepMetrics>
    {
        public void Report(StepMetrics value) => report(value);
    }
}
