using System.Globalization;
using System.Text;
using System.Text.Json;
using ScottPlot;
using Subclone.Training;

namespace Subclone.Reports;

/// <summary>The comparison's files: metrics.csv (every evaluation of every run), loss.png (the headline
/// comparison: best-vs-best with a grid, else the presets), loss-presets.png (with a grid), speedup-budget.png
/// (with budgets) and summary.json.</summary>
public static class ComparisonReport
{
    /// <summary>Writes the comparison's files for <paramref name="outcome"/> into <paramref name="outDir"/>, the plots titled <paramref name="title"/>.</summary>
    public static void Write(ComparisonOutcome outcome, string outDir, string title)
    {
        Directory.CreateDirectory(outDir);
        var preset = outcome.Preset;
        var runs = outcome.AllRuns.Count > 0 ? outcome.AllRuns : preset.Runs;
        // Columns named for what they hold: val_loss and tokens for text, val_error and images for images, …; the
        // run's own settings (peak lr, wd, seed, steps) follow, so a sweep's rows say which run they belong to.
        var csv = new StringBuilder($"init,step,lr,train_loss,{preset.Validation.Column},{preset.Unit},elapsed_s,peak_lr,wd,seed,run_steps\n");
        foreach (var run in runs)
            foreach (var h in run.History)
                csv.AppendLine(string.Join(",", run.Init, h.Step, F(h.LearningRate), F(h.TrainLoss), F(h.Validation), h.Seen, F(h.ElapsedSeconds),
                    F(run.LearningRate), F(run.WeightDecay), run.Seed, run.Steps));
        AtomicFile.WriteAllText(Path.Combine(outDir, "metrics.csv"), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), FiniteJson.Of(outcome.ToJson()).ToJsonString(Indented) + "\n");
        LossPlot(outcome.Headline, Path.Combine(outDir, "loss.png"), outcome.Best is null ? title : $"{title}, each at its best grid point");
        if (outcome.Best is not null) LossPlot(preset, Path.Combine(outDir, "loss-presets.png"), $"{title}, presets");
        if (outcome.Budgets.Count > 0) BudgetPlot(outcome.Budgets, Path.Combine(outDir, "speedup-budget.png"), title);
    }

    // Relaxed escaping keeps names such as "subclone+distill" readable; summary.json is not embedded in HTML.
    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static string F(double? v) => v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : "";

    /// <summary>Validation loss against step, one line per init (the mean over seeds, with a min–max band when
    /// there are several), with the random child's final loss as a dashed target. Image comparisons plot accuracy
    /// against epoch instead, as the paper's ViT figure does.</summary>
    public static void LossPlot(ComparisonResult result, string pngPath, string title)
    {
        var plot = new Plot();
        double X(int step) => result.StepsPerEpoch is int e ? (double)step / e : step;
        double Y(double value) => result.PlotAccuracy ? 1 - value : value;
        foreach (string init in result.Inits)
        {
            var runs = result.RunsOf(init);
            // Seeds share the evaluation schedule; a step is drawn where every seed that got there was evaluated.
            var byStep = runs.SelectMany(r => r.History.Where(h => h.Validation is not null))
                .GroupBy(h => h.Step).OrderBy(g => g.Key)
                .Select(g => (X: X(g.Key), Values: g.Select(h => Y(h.Validation!.Value)).ToList())).ToList();
            double[] xs = [.. byStep.Select(p => p.X)];
            var line = plot.Add.ScatterLine(xs, byStep.Select(p => p.Values.Average()).ToArray());
            string seeds = runs.Count > 1 ? $", mean of {runs.Count} seeds" : "";
            line.LegendText = $"{init} (lr {runs[0].LearningRate:G2}, wd {runs[0].WeightDecay:G2}{seeds})";
            line.LineWidth = init == "subclone" ? 3 : 1.5f;
            line.MarkerSize = 4;
            if (runs.Count > 1)
            {
                var band = plot.Add.FillY(xs, byStep.Select(p => p.Values.Min()).ToArray(), byStep.Select(p => p.Values.Max()).ToArray());
                band.FillColor = line.Color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
        }
        if (Spread.Of(result.RunsOf("random").Select(r => (double?)r.FinalLoss)) is { } target)
        {
            var line = plot.Add.HorizontalLine(Y(target.Mean));
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Gray;
            line.LegendText = $"random's final value {Y(target.Mean):F3}";
        }
        plot.Title(title);
        plot.XLabel(result.StepsPerEpoch is int steps ? $"epoch ({steps} steps)" : "training step");
        plot.YLabel(result.PlotAccuracy ? "validation top-1 accuracy" : result.Metric);
        plot.ShowLegend(result.PlotAccuracy ? Alignment.LowerRight : Alignment.UpperRight);
        AtomicFile.Write(pngPath, temp => plot.SavePng(temp, 900, 560));
    }

    /// <summary>Speed-up over random against the step budget, one line per init (mean over seeds with a min–max
    /// band): where the advantage of inherited weights narrows as training gets longer.</summary>
    public static void BudgetPlot(IReadOnlyList<BudgetResult> budgets, string pngPath, string title)
    {
        var plot = new Plot();
        foreach (string init in budgets[0].Result.Inits.Where(i => i != "random"))
        {
            var points = budgets.Select(b => (Steps: (double)b.Result.Steps, SpeedUp: b.Result.SpeedUpOf(init)))
                .Where(p => p.SpeedUp is not null).ToList();
            if (points.Count == 0) continue;
            double[] xs = [.. points.Select(p => p.Steps)];
            var line = plot.Add.ScatterLine(xs, points.Select(p => p.SpeedUp!.Mean).ToArray());
            line.LegendText = init;
            line.LineWidth = init == "subclone" ? 3 : 1.5f;
            line.MarkerSize = 6;
            if (points.Any(p => p.SpeedUp!.Count > 1))
            {
                var band = plot.Add.FillY(xs, points.Select(p => p.SpeedUp!.Min).ToArray(), points.Select(p => p.SpeedUp!.Max).ToArray());
                band.FillColor = line.Color.WithAlpha(0.2);
                band.LineWidth = 0;
            }
        }
        var even = plot.Add.HorizontalLine(1);
        even.LinePattern = LinePattern.Dashed;
        even.Color = Colors.Gray;
        even.LegendText = "as fast as random";
        plot.Title($"{title}: speed-up vs budget");
        plot.XLabel("training steps (budget)");
        plot.YLabel("speed-up over random (steps to random's final value)");
        plot.ShowLegend(Alignment.UpperRight);
        AtomicFile.Write(pngPath, temp => plot.SavePng(temp, 900, 560));
    }
}
