using Subclone.Models;
using Subclone.Models.Families;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Cloning;

/// <summary>
/// Applies a <see cref="CloneMap"/> to a parent's weights: every tensor is sliced along each axis by its role
/// (<see cref="ParameterLayout"/>), child blocks are taken from the mapped parent blocks, and each linear
/// weight whose input shrank from n to n' is multiplied by √(n/n'). Norms, biases and embeddings are never scaled.
/// </summary>
public static class Slicer
{
    /// <summary>Child tensors with HF names, float32. The caller owns (and disposes) them.</summary>
    public static Dictionary<string, Tensor> Slice(TransformerModel parent, ModelConfig child, CloneMap map)
    {
        map.Validate(parent.Config, "clone map");
        var parentTensors = parent.state_dict();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (string name in ChildNames(parentTensors.Keys, child.Layers))
        {
            string parentName = SourceName(name, map);
            if (!parentTensors.TryGetValue(parentName, out var source))
                throw new InvalidOperationException($"the parent has no tensor '{parentName}' for the child's '{name}'");
            result[name] = SliceTensor(parent.Config, name, source, map);
        }
        return result;
    }

    /// <summary>The child's tensor names: the parent's non-block parameters, and block 0's once per child block.</summary>
    public static List<string> ChildNames(IEnumerable<string> parentNames, int childLayers)
    {
        var names = parentNames.ToList();
        return names.Where(n => ParameterLayout.LayerOf(n) is null)
            .Concat(Enumerable.Range(0, childLayers).SelectMany(l => names
                .Where(n => ParameterLayout.LayerOf(n) == 0).Select(n => ParameterLayout.WithLayer(n, l))))
            .ToList();
    }

    /// <summary>The parent tensor a child tensor is cut from: the same name, in the parent block the map assigns.</summary>
    public static string SourceName(string childName, CloneMap map) =>
        ParameterLayout.LayerOf(childName) is int l ? ParameterLayout.WithLayer(childName, map.LayerMap[l]) : childName;

    /// <summary>
    /// Cuts one child tensor out of its parent tensor (<see cref="SourceName"/>, float32): sliced along each axis by
    /// its role and, for a linear weight whose input shrank, scaled. Needs only that tensor, not the parent model, so
    /// a parent larger than memory is sliced one tensor at a time. The caller owns (and disposes) the result.
    /// </summary>
    public static Tensor SliceTensor(ModelConfig parent, string childName, Tensor source, CloneMap map)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        int? layer = ParameterLayout.LayerOf(childName);
        var layout = ParameterLayout.For(parent, childName);
        var kept = Kept(map, layer);
        var t = source;
        for (int axis = 0; axis < layout.Axes.Length; axis++)
        {
            var index = layout.Axes[axis].Kept(parent, kept);
            if (index is null) continue;
            t = t.index_select(axis, tensor(index.Select(i => (long)i).ToArray()));
        }
        if (map.Scale && layout.InputAxis is int input && t.shape[input] < source.shape[input])
            t = t * Math.Sqrt((double)source.shape[input] / t.shape[input]);
        // A family's own correction (Gemma's embedding normaliser); skipped at 1 so other families stay bit for bit.
        if (parent.Family.Correction?.Invoke(parent, kept, childName) is double factor && factor != 1)
            t = t * factor;
        return t.contiguous().clone().MoveToOuterDisposeScope();
    }

    /// <summary>What the map keeps, as axis roles read it: the residual dims, and for block <paramref name="layer"/> its heads and neurons.</summary>
    public static KeptUnits Kept(CloneMap map, int? layer) =>
        new(map.ResidualDims, layer is int l ? new KeptBlockUnits(map.Heads[l], map.KvHeads[l], map.FfnNeurons[l]) : null);
}
