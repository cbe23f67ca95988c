using System.Text.Json.Nodes;

namespace Subclone.Search;

/// <summary>What a search measured for one candidate: its validation value at init and, for the best K, after the
/// probe; null where it was not measured (not in the top K, or stopped by Ctrl+C).</summary>
/// <param name="Candidate">The shape.</param>
/// <param name="KeptLayers">The parent blocks the child keeps (the block-influence ranking's top layers).</param>
public sealed record CandidateResult(ShapeCandidate Candidate, int[] KeptLayers)
{
    /// <summary>The validation value of the cut, untrained.</summary>
    public double? InitLoss { get; init; }
    /// <summary>The validation value after the probe's steps.</summary>
    public double? ProbeLoss { get; init; }
    /// <summary>The probe diverged (a non-finite loss).</summary>
    public bool Diverged { get; init; }
    /// <summary>Seconds spent cutting, scoring and probing this candidate.</summary>
    public double Seconds { get; init; }

    /// <summary>The candidate as search.json lists it.</summary>
    public JsonObject ToJson(int? rank)
    {
        var c = Candidate;
        var json = new JsonObject
        {
            ["rank"] = rank, ["hidden"] = c.Config.Hidden, ["layers"] = c.Config.Layers, ["heads"] = c.Config.Heads,
            ["kv_heads"] = c.Config.KvHeads, ["head_dim"] = c.Config.HeadDim, ["ffn"] = c.Config.Ffn,
            ["kept_layers"] = new JsonArray([.. KeptLayers.Select(l => (JsonNode)l)]),
            ["params"] = c.Parameters, ["flops_per_token"] = Math.Round(c.FlopsPerToken),
            ["init_loss"] = InitLoss is double i ? Math.Round(i, 6) : null, ["probe_loss"] = ProbeLoss is double p ? Math.Round(p, 6) : null,
            ["seconds"] = Math.Round(Seconds, 2), ["params_shape"] = c.IsParamsShape, ["clone_args"] = c.CloneArguments,
        };
        if (Diverged) json["diverged"] = true;
        return json;
    }
}
