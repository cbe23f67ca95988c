using ScottPlot;
using Subclone.Cloning;

namespace Subclone.Reports;

/// <summary>Pictures of importance scores, for a person deciding whether a cut is sensible.</summary>
public static class ImportancePlots
{
    /// <summary>Layers × residual dims (dims sorted by global score), each row normalised to its maximum: a
    /// ranking that is consistent across layers shows as a bright left edge in every row.</summary>
    public static void ResidualHeatMap(ImportanceScores scores, string pngPath, string title)
    {
        var order = Enumerable.Range(0, scores.Residual[0].Length).OrderByDescending(i => scores.ResidualGlobal[i]).ToArray();
        int layers = scores.Residual.Length;
        var data = new double[layers, order.Length];
        for (int l = 0; l < layers; l++)
        {
            double max = scores.Residual[l].Max();
            // ScottPlot draws row 0 at the top; store layer l in row (layers-1-l) so layer 0 sits at y = 0, the bottom.
            for (int j = 0; j < order.Length; j++) data[layers - 1 - l, j] = max > 0 ? scores.Residual[l][order[j]] / max : 0;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(data);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        plot.Title(title);
        plot.XLabel("residual dim, by global rank (most important left)");
        plot.YLabel("layer (block output)");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, layers).Select(l => (double)l).ToArray(), Enumerable.Range(0, layers).Select(l => l.ToString()).ToArray());
        AtomicFile.Write(pngPath, temp => plot.SavePng(temp, 900, 420));
    }
}
