using System.Text.Json.Nodes;
using Subclone.Cloning;
using Subclone.Training;

namespace Subclone.Search;

/// <summary>A search's measurements and its ranking: probed candidates by their validation value after the probe,
/// then the rest by their value at init; the winner is the first probed one.</summary>
public sealed record SearchOutcome(SearchPlan Plan, ValidationMetric Metric, ImportanceScores Scores, IReadOnlyList<CandidateResult> Results,
    IReadOnlyList<(double Lr, double? Loss)> LearningRateGrid, double? LearningRate)
{
    /// <summary>Ctrl+C stopped the search before every measurement was made.</summary>
    public bool Interrupted { get; init; }

    /// <summary>Every candidate, best first: by probe loss where probed (diverged last among them), then by init loss, then unmeasured.</summary>
    public IReadOnlyList<CandidateResult> Ranked =>
        [.. Results.Select((r, i) => (r, i))
            .OrderBy(x => x.r.ProbeLoss is not null ? 0 : x.r.InitLoss is not null ? 1 : 2)
            .ThenBy(x => x.r.ProbeLoss ?? x.r.InitLoss ?? 0).ThenBy(x => x.i).Select(x => x.r)];

    /// <summary>The best candidate after the probe; null when none finished one.</summary>
    public CandidateResult? Winner => Ranked.FirstOrDefault(r => r.ProbeLoss is not null);

    /// <summary>The candidates on the Pareto front of (parameters, <paramref name="loss"/>): none has both fewer parameters and a lower value.</summary>
    public IReadOnlyList<CandidateResult> ParetoFront(Func<CandidateResult, double?> loss)
    {
        var measured = Results.Where(r => loss(r) is not null).OrderBy(r => r.Candidate.Parameters).ThenBy(r => loss(r)).ToList();
        var front = new List<CandidateResult>();
        foreach (var r in measured)
            if (front.Count == 0 || loss(r) < loss(front[^1])) front.Add(r);
        return front;
    }

    /// <summary>search.json: the budget, the grid, the probe, every candidate ranked, and the winner.</summary>
    public JsonObject ToJson(string parentOrigin, long parentParams, string? winnerDirectory)
    {
        var plan = Plan;
        var ranked = Ranked;
        var winner = Winner;
        return new JsonObject
        {
            ["parent"] = parentOrigin,
            ["parent_params"] = parentParams,
            ["budget"] = new JsonObject
            {
                ["kind"] = plan.Budget.Kind == BudgetKind.Parameters ? "params" : "flops_per_token",
                ["value"] = plan.Budget.Value, ["low"] = Math.Round(plan.Budget.Low), ["high"] = Math.Round(plan.Budget.High),
                ["tolerance"] = SearchBudget.Tolerance, ["flops_context_tokens"] = plan.Budget.Context,
            },
            ["metric"] = Metric.Column,
            ["metric_description"] = Metric.Description,
            ["grid"] = new JsonObject
            {
                ["depths"] = new JsonArray([.. plan.Space.Depths.Select(d => (JsonNode)d)]),
                ["widths"] = new JsonArray([.. plan.Space.Widths.Select(w => (JsonNode)new JsonObject { ["hidden"] = w.Hidden, ["heads"] = w.Heads, ["kv_heads"] = w.KvHeads })]),
                ["ffn"] = new JsonArray([.. plan.Space.FfnWidths.Select(f => (JsonNode)f)]),
                ["counted"] = plan.Space.Counted, ["within_budget"] = plan.Space.WithinBudget, ["candidates"] = plan.Space.Candidates.Count,
            },
            ["calibration"] = new JsonObject { ["source"] = Scores.CalibrationSource, ["tokens"] = Scores.CalibrationTokens },
            ["probe"] = new JsonObject
            {
                ["top"] = plan.Top, ["steps"] = plan.Probe.Steps, ["batch"] = plan.Probe.BatchSize, ["seq"] = plan.Probe.SequenceLength,
                ["eval_batches"] = plan.Probe.EvalBatches, ["wd"] = plan.Probe.WeightDecay, ["seed"] = plan.Probe.Seed,
                ["lr_grid"] = new JsonArray([.. LearningRateGrid.Select(g => (JsonNode)new JsonObject { ["lr"] = g.Lr, ["probe_loss"] = g.Loss is double l ? Math.Round(l, 6) : null })]),
                ["lr"] = LearningRate,
            },
            ["interrupted"] = Interrupted,
            ["candidates"] = new JsonArray([.. ranked.Select((r, i) => (JsonNode)r.ToJson(r.ProbeLoss is not null || r.InitLoss is not null ? i + 1 : null))]),
            ["winner"] = winner is null ? null : new JsonObject
            {
                ["shape"] = winner.Candidate.Shape, ["clone_args"] = winner.Candidate.CloneArguments + " --depth influence",
                ["params"] = winner.Candidate.Parameters, ["probe_loss"] = Math.Round(winner.ProbeLoss!.Value, 6),
                ["out"] = winnerDirectory,
            },
        };
    }
}
