using System.Globalization;
using System.Text;
using System.Text.Json;
using ScottPlot;
using Subclone.Training;

namespace Subclone.Reports;

/// <summary>The comparison's files: metrics.csv (every evaluation of every init), loss.png and summary.json.</summary>
public static class ComparisonReport
{
    /// <summary>Writes metrics.csv, loss.png (titled <paramref name="title"/>) and summary.json for <paramref name="result"/> into <paramref name="outDir"/>.</summary>
    public static void Write(ComparisonResult result, string outDir, string title)
    {
        Directory.CreateDirectory(outDir);
        // Columns named for what they hold: val_loss and tokens for text, val_error and images for images, …
        var csv = new StringBuilder($"init,step,lr,train_loss,{result.Validation.Column},{result.Unit},elapsed_s\n");
        foreach (var run in result.Runs)
            foreach (var h in run.History)
                csv.AppendLine(string.Join(",", run.Init, h.Step, F(h.LearningRate), F(h.TrainLoss), F(h.Validation), h.Seen, F(h.ElapsedSeconds)));
        AtomicFile.WriteAllText(Path.Combine(outDir, "metrics.csv"), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), FiniteJson.Of(result.ToJson()).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        LossPlot(result, Path.Combine(outDir, "loss.png"), title);
    }

    static string F(double? v) => v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : "";

    /// <summary>Validation loss against step, one line per init, with the random child's final loss as a dashed
    /// target. Image comparisons plot accuracy against epoch instead, as the paper's ViT figure does.</summary>
    public static void LossPlot(ComparisonResult result, string pngPath, string title)
    {
        var plot = new Plot();
        double X(int step) => result.StepsPerEpoch is int e ? (double)step / e : step;
        double Y(double value) => result.PlotAccuracy ? 1 - value : value;
        foreach (var run in result.Runs)
        {
            var points = run.History.Where(h => h.Validation is not null).ToList();
            var line = plot.Add.ScatterLine(points.Select(p => X(p.Step)).ToArray(), points.Select(p => Y(p.Validation!.Value)).ToArray());
            line.LegendText = $"{run.Init} (lr {run.LearningRate:G2}, wd {run.WeightDecay:G2})";
            line.LineWidth = run.Init == "subclone" ? 3 : 1.5f;
            line.MarkerSize = 4;
        }
        if (result.Runs.FirstOrDefault(r => r.Init == "random") is { } random)
        {
            var target = plot.Add.HorizontalLine(Y(random.FinalLoss));
            target.LinePattern = LinePattern.Dashed;
            target.Color = Colors.Gray;
            target.LegendText = $"random's final value {Y(random.FinalLoss):F3}";
        }
        plot.Title(title);
        plot.XLabel(result.StepsPerEpoch is int steps ? $"epoch ({steps} steps)" : "training step");
        plot.YLabel(result.PlotAccuracy ? "validation top-1 accuracy" : result.Metric);
        plot.ShowLegend(result.PlotAccuracy ? Alignment.LowerRight : Alignment.UpperRight);
        AtomicFile.Write(pngPath, temp => plot.SavePng(temp, 900, 560));
    }
}
