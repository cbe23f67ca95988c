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
        var map = Plan(parent.Config, target, scores, options);
        return new CloneResult(Apply(parent, map), map);
    }

    /// <summary>The map <see cref="Clone"/> cuts with, without slicing: for <see cref="Write"/>, which slices as it writes.</summary>
    public static CloneMap Plan(ModelConfig parent, CloneTarget target, ImportanceScores? scores, CloneOptions options)
    {
        var childConfig = target.Apply(parent);
        ModelBudget.RequireMemory(childConfig, "the child");  // a deeper child is refused before its map is planned
        return ClonePlanner.Plan(parent, childConfig, scores, options);
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

    /// <summary>
    /// Replays <paramref name="map"/> on an in-memory parent straight into a Hugging Face directory, one child tensor
    /// at a time (sliced, written, freed), so memory stays at the parent plus one tensor instead of parent plus child.
    /// The files are byte for byte those <see cref="Apply"/> then <see cref="HfCheckpoint.Save"/> write. Atomic like
    /// <see cref="HfCheckpoint.Save"/>. Returns the child's config.
    /// </summary>
    /// <param name="parent">The loaded parent (float32).</param>
    /// <param name="map">What the child keeps (<see cref="Clone"/>'s, or a replayed clone_map.json).</param>
    /// <param name="directory">The model directory to create.</param>
    /// <param name="dtype">The dtype the weights are stored in (float32, float16 or bfloat16).</param>
    /// <param name="companionSource">A directory whose tokenizer and generation files are copied along.</param>
    /// <param name="overwrite">Replace <paramref name="directory"/> if it exists; otherwise its existence is an error.</param>
    /// <param name="maxShardBytes">Above this many bytes of weights, write numbered shards and an index.</param>
    /// <param name="extraFiles">Further files to write beside the weights, by name and text content (e.g. clone_map.json).</param>
    /// <param name="progress">Tensors written so far, of all.</param>
    public static ModelConfig Write(TransformerModel parent, CloneMap map, string directory, ScalarType dtype, string? companionSource = null,
        bool overwrite = false, long maxShardBytes = CheckpointWriter.DefaultShardBytes,
        IEnumerable<(string Name, string Content)>? extraFiles = null, IProgress<(int Done, int Total)>? progress = null)
    {
        map.Validate(parent.Config, "clone map");
        ModelBudget.RequireMemory(ChildConfig(parent.Config, map), "the child");
        var parentTensors = parent.state_dict();
        Tensor Read(string name) => parentTensors.TryGetValue(name, out var t) ? t
            : throw new InvalidOperationException($"the parent has no tensor '{name}'");
        return StreamingCloner.WriteSliced(parent.Config, parent.Config.Family.HasOptionalPart(parentTensors.Keys), Read, map,
            directory, dtype, companionSource, overwrite, maxShardBytes, extraFiles, progress);
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
