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
        // The child has the parent's non-block parameters, and block 0's parameters once per child block.
        var childNames = parentTensors.Keys.Where(n => ParameterLayout.LayerOf(n) is null)
            .Concat(Enumerable.Range(0, child.Layers).SelectMany(l => parentTensors.Keys
                .Where(n => ParameterLayout.LayerOf(n) == 0).Select(n => ParameterLayout.WithLayer(n, l))))
            .ToList();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (string name in childNames)
        {
            int? childLayer = ParameterLayout.LayerOf(name);
            string parentName = childLayer is int l ? ParameterLayout.WithLayer(name, map.LayerMap[l]) : name;
            if (!parentTensors.TryGetValue(parentName, out var source))
                throw new InvalidOperationException($"the parent has no tensor '{parentName}' for the child's '{name}'");
            result[name] = SliceOne(parent.Config, name, source, map, childLayer);
        }
        return result;
    }

    static Tensor SliceOne(ModelConfig parent, string name, Tensor source, CloneMap map, int? layer)
    {
        using var scope = NewDisposeScope();
        var layout = ParameterLayout.For(parent.Architecture, name);
        var t = source;
        for (int axis = 0; axis < layout.Axes.Length; axis++)
        {
            var index = Indices(parent, layout.Axes[axis], map, layer, name);
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
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }
}
