using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>The child a cut produces: the model, and the map that describes (and replays) the cut.</summary>
public sealed record CloneResult(TransformerModel Child, CloneMap Map);

/// <summary>Weight subcloning: importance → plan → slice → a child model that starts close to its parent.</summary>
public static class Subcloner
{
    /// <summary>Cuts a child of <paramref name="target"/>'s shape from <paramref name="parent"/>: plans the map (from <paramref name="scores"/> or the baseline in <paramref name="options"/>) and slices.</summary>
    public static CloneResult Clone(TransformerModel parent, CloneTarget target, ImportanceScores? scores, CloneOptions options)
    {
        var childConfig = target.Apply(parent.Config);
        ModelBudget.RequireMemory(childConfig, "the child");  // a deeper child is refused before its map is planned
        var map = ClonePlanner.Plan(parent.Config, childConfig, scores, options);
        return new CloneResult(Apply(parent, map), map);
    }

    /// <summary>Replays a map (from clone_map.json) on a parent with the same architecture and shape.</summary>
    public static TransformerModel Apply(TransformerModel parent, CloneMap map)
    {
        var childConfig = ChildConfig(parent.Config, map);
        ModelBudget.RequireMemory(childConfig, "the child");
        var tensors = Slicer.Slice(parent, childConfig, map);
        try
        {
            return HfCheckpoint.FromTensors(childConfig, tensors, "clone map");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The shape a map cuts from a parent of config <paramref name="p"/>.</summary>
    public static ModelConfig ChildConfig(ModelConfig p, CloneMap map)
    {
        var childConfig = p with
        {
            Hidden = map.ResidualDims.Length, Layers = map.LayerMap.Length, Heads = map.Heads[0].Length,
            KvHeads = map.KvHeads[0].Length, Ffn = map.FfnNeurons.FirstOrDefault(f => f.Length > 0)?.Length ?? p.Ffn,
        };
        if (p.Moe is { } moe) childConfig = WithExperts(childConfig, moe, map);
        if (!p.Family.FreeHeadDim && childConfig.Hidden != childConfig.Heads * p.HeadDim)
            throw new InvalidDataException($"clone map keeps {childConfig.Hidden} residual dims but {childConfig.Heads} heads of {p.HeadDim}; {p.ModelType} needs hidden = heads × head_dim");
        return childConfig.WithLayerMap(map.LayerMap, p.Layers);
    }

    /// <summary>A child of a parent with experts: its routing shape (experts, top-k, expert width, which blocks are
    /// sparse) from the map, and for a one-expert dense map the dense family's config.</summary>
    static ModelConfig WithExperts(ModelConfig child, MoeShape parentMoe, CloneMap map)
    {
        int sparse = Array.FindIndex(map.Experts!, e => e.Length > 0);
        var moe = parentMoe.ForLayers(map.LayerMap) with
        {
            Experts = sparse >= 0 ? map.Experts![sparse].Length : parentMoe.Experts,
            ExpertFfn = sparse >= 0 ? map.ExpertFfnNeurons![sparse][0].Length : parentMoe.ExpertFfn,
            TopK = map.TopK ?? parentMoe.TopK,
        };
        bool anyDense = map.FfnNeurons.Any(f => f.Length > 0);
        // Where one key holds both widths (Mixtral's intermediate_size), the expert's is the model's.
        int ffn = child.Family.Moe!.ExpertFfnKey is null ? moe.ExpertFfn : child.Ffn;
        child = child with { Moe = moe, Ffn = ffn };
        if (map.DenseModelType is null) return child;
        if (anyDense && child.Ffn != moe.ExpertFfn)
            throw new InvalidDataException($"clone map: a dense child has one FFN width, but its dense blocks keep {child.Ffn} neurons and its expert {moe.ExpertFfn}");
        var dense = DenseChild.Config(child);
        if (dense.ModelType != map.DenseModelType)
            throw new InvalidDataException($"clone map: a dense child of {child.Family} is {dense.ModelType}, not {map.DenseModelType}");
        return dense;
    }
}
