using Subclone.Models;
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
        var layout = ParameterLayout.For(parent.Architecture, childName);
        var t = source;
        for (int axis = 0; axis < layout.Axes.Length; axis++)
        {
            var index = Indices(parent, layout.Axes[axis], map, layer, childName);
            if (index is null) continue;
            t = t.index_select(axis, tensor(index.Select(i => (long)i).ToArray()));
        }
        if (map.Scale && layout.InputAxis is int input && t.shape[input] < source.shape[input])
            t = t * Math.Sqrt((double)source.shape[input] / t.shape[input]);
        return t.contiguous().clone().MoveToOuterDisposeScope();
    }

    /// <summary>Indices kept along an axis, or null for a whole axis.</summary>
    static int[]? Indices(ModelConfig parent, AxisRole role, CloneMap map, int? layer, string name)
    {
        int hd = parent.HeadDim;
        int L() => layer ?? throw new InvalidOperationException($"'{name}' has per-block axes but no block index");
        int[] Expand(int[] heads) => heads.SelectMany(h => Enumerable.Range(h * hd, hd)).ToArray();
        return role switch
        {
            AxisRole.Whole => null,
            AxisRole.Residual => map.ResidualDims,
            AxisRole.Heads => Expand(map.Heads[L()]),
            AxisRole.KvHeads => Expand(map.KvHeads[L()]),
            AxisRole.Ffn => map.FfnNeurons[L()],
            AxisRole.PackedQkv => Enumerable.Range(0, 3).SelectMany(part => Expand(map.Heads[L()]).Select(i => part * parent.Heads * hd + i)).ToArray(),
            AxisRole.PackedQkvGqa => Expand(map.Heads[L()]).Concat(Expand(map.KvHeads[L()]).Select(i => parent.Heads * hd + i))
                .Concat(Expand(map.KvHeads[L()]).Select(i => (parent.Heads + parent.KvHeads) * hd + i)).ToArray(),
            AxisRole.PackedGateUp => map.FfnNeurons[L()].Concat(map.FfnNeurons[L()].Select(i => parent.Ffn + i)).ToArray(),
            AxisRole.PerHeadQkv => map.Heads[L()].SelectMany(h => Enumerable.Range(h * 3 * hd, 3 * hd)).ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }
}
