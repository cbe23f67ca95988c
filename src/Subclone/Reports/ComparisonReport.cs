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
        var csv = new StringBuilder("init,step,lr,train_loss,val_loss,tokens,elapsed_s\n");
        foreach (var run in result.Runs)
            foreach (var h in run.History)
                csv.AppendLine(string.Join(",", run.Init, h.Step, F(h.LearningRate), F(h.TrainLoss), F(h.ValLoss), h.Tokens, F(h.ElapsedSeconds)));
        AtomicFile.WriteAllText(Path.Combine(outDir, "metrics.csv"), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        LossPlot(result, Path.Combine(outDir, "loss.png"), title);
    }

    static string F(double? v) => v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : "";

    /// <summary>Validation loss against step, one line per init, with the random child's final loss as a dashed target.</summary>
    public static void LossPlot(ComparisonResult result, string pngPath, string title)
    {
        var plot = new Plot();
        foreach (var run in result.Runs)
        {
            var points = run.History.Where(h => h.ValLoss is not null).ToList();
            var line = plot.Add.ScatterLine(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.ValLoss!.Value).ToArray());
            line.LegendText = $"{run.Init} (lr {run.LearningRate:G2}, wd {run.WeightDecay:G2})";
            line.LineWidth = run.Init == "subclone" ? 3 : 1.5f;
            line.MarkerSize = 4;
        }
        if (result.Runs.FirstOrDefault(r => r.Init == "random") is { } random)
        {
            var target = plot.Add.HorizontalLine(random.FinalLoss);
            target.LinePattern = LinePattern.Dashed;
            target.Color = Colors.Gray;
            target.LegendText = $"random's final value {random.FinalLoss:F3}";
        }
        plot.Title(title);
        plot.XLabel("training step");
        plot.YLabel(result.Metric);
        plot.ShowLegend(Alignment.UpperRight);
        AtomicFile.Write(pngPath, temp => plot.SavePng(temp, 900, 560));
    }
}
