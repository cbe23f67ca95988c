using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>The speed-up at one multiple of the step budget: each init at its chosen point, trained for that many steps.</summary>
public sealed record BudgetResult(double Budget, ComparisonResult Result);

/// <summary>
/// Everything a comparison measured: every init at its preset (the paper's comparison), with a grid each init at
/// its best grid point (best-vs-best) and the sweep behind it, and with budgets the speed-up at each multiple of
/// the step budget.
/// </summary>
public sealed record ComparisonOutcome(ComparisonResult Preset)
{
    /// <summary>Each init at its best grid point; null without a grid.</summary>
    public ComparisonResult? Best { get; init; }
    /// <summary>Each init's sweep, in init order; empty without a grid.</summary>
    public IReadOnlyList<GridChoice> Grid { get; init; } = [];
    /// <summary>The speed-up at each budget multiple (1 first); empty without --budgets.</summary>
    public IReadOnlyList<BudgetResult> Budgets { get; init; } = [];
    /// <summary>Every run made (the sweep's, the preset's and the budgets'), for metrics.csv.</summary>
    public IReadOnlyList<ComparisonRun> AllRuns { get; init; } = [];

    /// <summary>The comparison people read first: best-vs-best when there is a grid, else the presets.</summary>
    public ComparisonResult Headline => Best ?? Preset;

    /// <summary>summary.json: the preset comparison at the top level (as without a grid), then "best" (each init's
    /// winning point, its sweep and the best-vs-best figures) and "budgets" (speed-up per budget multiple).</summary>
    public JsonObject ToJson()
    {
        var json = Preset.ToJson();
        if (Best is not null)
        {
            var inits = new JsonObject();
            foreach (string init in Best.Inits)
            {
                var entry = Best.InitJson(init);
                if (Grid.FirstOrDefault(g => g.Init == init) is { } choice)
                    foreach (var (key, value) in choice.ToJson()) entry[key] = value?.DeepClone();
                inits[init] = entry;
            }
            json["best"] = new JsonObject { ["target_loss"] = Best.ToJson()["target_loss"]?.DeepClone(), ["inits"] = inits };
        }
        if (Budgets.Count > 0)
            json["budgets"] = new JsonArray([.. Budgets.Select(b =>
            {
                var summary = b.Result.ToJson();
                return (JsonNode)new JsonObject
                {
                    ["budget"] = b.Budget, ["steps"] = b.Result.Steps,
                    ["target_loss"] = summary["target_loss"]?.DeepClone(), ["inits"] = summary["inits"]?.DeepClone(),
                };
            })]);
        return json;
    }
}
