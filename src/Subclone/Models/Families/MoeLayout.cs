using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>
/// How one mixture-of-experts family names its sparse block and its routing fields: the module
/// (<c>block_sparse_moe</c> for Mixtral, <c>mlp</c> for Qwen3-MoE and OLMoE), the router <c>gate</c>, each expert's
/// three projections (<c>w1</c>/<c>w3</c>/<c>w2</c> or <c>gate_proj</c>/<c>up_proj</c>/<c>down_proj</c>), the config
/// keys, and the dense family a one-expert, top-1 child is written as.
/// </summary>
public sealed record MoeLayout
{
    /// <summary>The sparse block's module name inside a decoder block.</summary>
    public required string Module { get; init; }
    /// <summary>An expert's gate projection (SiLU input) [F, D].</summary>
    public required string GateProj { get; init; }
    /// <summary>An expert's up projection [F, D].</summary>
    public required string UpProj { get; init; }
    /// <summary>An expert's down projection [D, F].</summary>
    public required string DownProj { get; init; }
    /// <summary>The config key of the expert count.</summary>
    public required string ExpertsKey { get; init; }
    /// <summary>The config key of an expert's width; null when intermediate_size is it (every block sparse, one width).</summary>
    public string? ExpertFfnKey { get; init; }
    /// <summary>The config key saying whether top-k weights are renormalised; null: always (Mixtral).</summary>
    public string? NormTopKKey { get; init; }
    /// <summary>HF's default for <see cref="NormTopKKey"/> when the config leaves it out.</summary>
    public bool NormTopKDefault { get; init; }
    /// <summary>The config has mlp_only_layers and decoder_sparse_step (Qwen3-MoE).</summary>
    public bool HasDenseLayers { get; init; }
    /// <summary>The dense family a one-expert, top-1 child is written as (its MLP is then that expert); null: none.</summary>
    public Func<ModelFamily>? DenseFamily { get; init; }
    /// <summary>Why no dense family computes this family's blocks, for the refusal; used when <see cref="DenseFamily"/> is null.</summary>
    public string DenseRefusal { get; init; } = "no dense family computes its blocks";
    /// <summary>Routing-only config keys a dense child's config drops.</summary>
    public required IReadOnlyList<string> RoutingKeys { get; init; }

    /// <summary>The per-expert name prefix inside a block: <c>block_sparse_moe.experts.{expert}.</c>.</summary>
    public string ExpertPrefix => Module + ".experts." + ExpertPlaceholder + ".";

    /// <summary>The three projections by their roles, in the module's order: gate, up, down.</summary>
    public IReadOnlyList<string> Projections => [GateProj, UpProj, DownProj];

    /// <summary>The dense MLP's projection names (Llama's) for the expert projection at the same position.</summary>
    public static IReadOnlyList<string> DenseProjections { get; } = ["gate_proj", "up_proj", "down_proj"];

    /// <summary>
    /// The block's MLP rows with experts: the dense MLP (<paramref name="denseRows"/>) in blocks that are dense, and the
    /// router and every expert's projections in sparse ones. The router is [experts, D]; an expert is a Llama MLP of
    /// the expert width, its neurons cut per expert.
    /// </summary>
    public IEnumerable<ParameterRow> BlockRows(string block, IEnumerable<ParameterRow> denseRows)
    {
        static bool Sparse(ModelConfig c, int layer) => c.Moe?.IsSparse(layer) ?? false;
        foreach (var r in denseRows) yield return r with { AtLayer = (c, l) => !Sparse(c, l) };
        AxisRole R = AxisRole.Residual, F = AxisRole.ExpertFfn;
        var rows = Linear(block + Module + ".gate", AxisRole.Experts, R)
            .Concat(Linear(block + ExpertPrefix + GateProj, F, R))
            .Concat(Linear(block + ExpertPrefix + UpProj, F, R))
            .Concat(Linear(block + ExpertPrefix + DownProj, R, F));
        foreach (var r in rows) yield return r with { AtLayer = Sparse };
    }

    /// <summary>Reads the routing fields; a shape no router can have is a <see cref="CheckpointException"/> naming the field.</summary>
    public MoeShape Read(ConfigReader r, int ffn)
    {
        int experts = r.Int(ExpertsKey), topK = r.Int("num_experts_per_tok");
        int expertFfn = ExpertFfnKey is { } key ? r.Int(key) : ffn;
        bool norm = NormTopKKey is { } normKey ? r.OptionalBool(normKey) ?? NormTopKDefault : true;
        int step = HasDenseLayers ? r.OptionalInt("decoder_sparse_step") ?? 1 : 1;
        int[] dense = [];
        if (HasDenseLayers && r.Json["mlp_only_layers"] is { } list)
            dense = list is JsonArray array && array.All(v => v is JsonValue x && x.TryGetValue(out int _))
                ? array.Select(v => v!.GetValue<int>()).ToArray()
                : throw new CheckpointException(r.Path, $"field 'mlp_only_layers' must be a list of layer indices, got {list.ToJsonString()}");
        void Positive(int value, string field)
        {
            if (value <= 0) throw new CheckpointException(r.Path, $"field '{field}' must be positive, got {value}");
        }
        Positive(experts, ExpertsKey); Positive(topK, "num_experts_per_tok"); Positive(expertFfn, ExpertFfnKey ?? "intermediate_size");
        Positive(step, "decoder_sparse_step");
        if (topK > experts) throw new CheckpointException(r.Path, $"field 'num_experts_per_tok' ({topK}) exceeds '{ExpertsKey}' ({experts})");
        return new MoeShape(experts, topK, expertFfn, norm, dense, step);
    }

    /// <summary>Writes the routing fields of <paramref name="moe"/> back under this family's keys.</summary>
    public void Write(MoeShape moe, JsonObject json)
    {
        json[ExpertsKey] = moe.Experts;
        json["num_experts_per_tok"] = moe.TopK;
        json[ExpertFfnKey ?? "intermediate_size"] = moe.ExpertFfn;
        if (NormTopKKey is { } key) json[key] = moe.NormTopK;
        if (HasDenseLayers)
        {
            json["mlp_only_layers"] = new JsonArray(moe.DenseLayers.Select(l => (JsonNode)l).ToArray());
            json["decoder_sparse_step"] = moe.SparseStep;
        }
    }
}
