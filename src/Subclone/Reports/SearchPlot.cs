using ScottPlot;
using Subclone.Search;

namespace Subclone.Reports;

/// <summary>search.png: every candidate's parameters against its validation value at init and after the probe, each
/// set's Pareto front (fewer parameters and a lower value) drawn as a line, the winner ringed.</summary>
public static class SearchPlot
{
    /// <summary>Writes the plot of <paramref name="outcome"/> to <paramref name="pngPath"/> (atomically), titled <paramref name="title"/>.</summary>
    public static void Write(SearchOutcome outcome, string pngPath, string title)
    {
        var plot = new Plot();
        Series(plot, outcome, r => r.InitLoss, "at init", MarkerShape.OpenCircle, Colors.SteelBlue);
        Series(plot, outcome, r => r.ProbeLoss, $"after {outcome.Plan.Probe.Steps} probe steps", MarkerShape.FilledCircle, Colors.OrangeRed);
        if (outcome.Winner is { } w)
        {
            var ring = plot.Add.Marker(w.Candidate.Parameters, w.ProbeLoss!.Value, MarkerShape.OpenCircle, 18, Colors.Black);
            ring.LegendText = $"winner: {w.Candidate.Shape}";
        }
        if (outcome.Results.FirstOrDefault(r => r.Candidate.IsParamsShape && r.InitLoss is not null) is { } p)
        {
            var square = plot.Add.Marker(p.Candidate.Parameters, p.ProbeLoss ?? p.InitLoss!.Value, MarkerShape.OpenSquare, 16, Colors.DarkGreen);
            square.LegendText = $"the --params shape: {p.Candidate.Shape}";
        }
        plot.Title(title);
        plot.XLabel("parameters");
        plot.YLabel(outcome.Metric.Description);
        plot.ShowLegend(Edge.Bottom);  // outside the data area: a legend inside would hide points at this scale
        AtomicFile.Write(pngPath, temp => plot.SavePng(temp, 900, 640));
    }

    static void Series(Plot plot, SearchOutcome outcome, Func<CandidateResult, double?> loss, string name, MarkerShape shape, Color color)
    {
        var measured = outcome.Results.Where(r => loss(r) is not null).ToList();
        if (measured.Count == 0) return;
        var points = plot.Add.ScatterPoints(measured.Select(r => (double)r.Candidate.Parameters).ToArray(), measured.Select(r => loss(r)!.Value).ToArray());
        points.MarkerShape = shape;
        points.MarkerSize = 8;
        points.Color = color;
        points.LegendText = name;
        var front = outcome.ParetoFront(loss);
        var line = plot.Add.ScatterLine(front.Select(r => (double)r.Candidate.Parameters).ToArray(), front.Select(r => loss(r)!.Value).ToArray());
        line.Color = color;
        line.LineWidth = 2;
        line.LinePattern = LinePattern.Dashed;
        line.MarkerSize = 0;
        line.LegendText = $"Pareto front, {name}";
    }
}
