using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>One point of a learning-rate / weight-decay grid and the final validation value an init reached there, over seeds.</summary>
/// <param name="LearningRate">The point's peak learning rate.</param>
/// <param name="WeightDecay">The point's weight decay.</param>
/// <param name="FinalLoss">The final validation value over the seeds that did not diverge; null when all did.</param>
/// <param name="Diverged">Seeds whose loss became NaN or infinite at this point.</param>
public sealed record GridPoint(double LearningRate, double WeightDecay, Spread? FinalLoss, int Diverged)
{
    /// <summary>What the sweep ranks by: the mean final value, or +∞ when any seed diverged.</summary>
    public double Rank => Diverged > 0 || FinalLoss is null ? double.PositiveInfinity : FinalLoss.Mean;
}

/// <summary>
/// An init's learning-rate / weight-decay sweep: every grid point's final validation value (mean over seeds) and
/// the best one, flagged when it lies at the edge of the grid (the true optimum may lie beyond it).
/// </summary>
public sealed record GridChoice(string Init, IReadOnlyList<GridPoint> Points, GridPoint Best, string? Edge)
{
    /// <summary>
    /// The best of <paramref name="runs"/> (one init's runs at every grid point and seed) by mean final validation
    /// value, with the grid's axes <paramref name="learningRates"/> and <paramref name="weightDecays"/> (null: not
    /// swept) to say whether it lies on an edge.
    /// </summary>
    public static GridChoice Of(string init, IEnumerable<ComparisonRun> runs, IReadOnlyList<double>? learningRates, IReadOnlyList<double>? weightDecays)
    {
        var points = runs.GroupBy(r => (r.LearningRate, r.WeightDecay))
            .Select(g => new GridPoint(g.Key.LearningRate, g.Key.WeightDecay, Spread.Of(g.Select(r => (double?)r.FinalLoss)), g.Count(r => r.Diverged)))
            .ToList();
        if (points.Count == 0) throw new ArgumentException($"no runs of {init} to choose from", nameof(runs));
        // A point where any seed diverged ranks +∞: it never wins over one that trained.
        var best = points.MinBy(p => p.Rank)!;
        return new GridChoice(init, points, best, EdgeOf(best, learningRates, weightDecays));
    }

    static string? EdgeOf(GridPoint best, IReadOnlyList<double>? learningRates, IReadOnlyList<double>? weightDecays)
    {
        var edges = new List<string>();
        // A grid of one value has no inside; only a swept axis can put the winner on its edge.
        if (learningRates is { Count: > 1 } lrs)
        {
            if (best.LearningRate == lrs.Min()) edges.Add("lowest --lr-grid value");
            else if (best.LearningRate == lrs.Max()) edges.Add("highest --lr-grid value");
        }
        if (weightDecays is { Count: > 1 } wds)
        {
            if (best.WeightDecay == wds.Min()) edges.Add("lowest --wd-grid value");
            else if (best.WeightDecay == wds.Max()) edges.Add("highest --wd-grid value");
        }
        return edges.Count == 0 ? null : string.Join(" and ", edges);
    }

    /// <summary>summary.json's form: the winner, whether it is at an edge, and every point's final value.</summary>
    public JsonObject ToJson() => new()
    {
        ["best_lr"] = Best.LearningRate,
        ["best_wd"] = Best.WeightDecay,
        ["at_grid_edge"] = Edge is not null,
        ["edge"] = Edge,
        ["grid"] = new JsonArray([.. Points.Select(p => (JsonNode)new JsonObject
        {
            ["lr"] = p.LearningRate, ["wd"] = p.WeightDecay, ["final_loss"] = p.FinalLoss?.ToJson(4), ["diverged_seeds"] = p.Diverged,
        })]),
    };
}
