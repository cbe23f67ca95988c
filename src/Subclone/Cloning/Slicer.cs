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
        foreach (string name in ChildNames(child, parent.Config.Family.HasOptionalPart(parentTensors.Keys)))
        {
            string parentName = SourceName(parent.Config, name, map);
            if (!parentTensors.TryGetValue(parentName, out var source))
                throw new InvalidOperationException($"the parent has no tensor '{parentName}' for the child's '{name}'");
            result[name] = SliceTensor(parent.Config, name, source, map);
        }
        return result;
    }

    /// <summary>The child's tensor names, in its state_dict order, from its family's parameter table.</summary>
    public static IEnumerable<string> ChildNames(ModelConfig child, bool withOptionalPart) =>
        child.Family.Shapes(child, withOptionalPart).Select(s => s.Name);

    /// <summary>
    /// The parent tensor a child tensor is cut from: the same name, in the parent block the map assigns and, in a
    /// sparse block, of the parent expert the child's expert slot keeps. A dense child's MLP in a block that was
    /// sparse is the one kept expert's projections.
    /// </summary>
    public static string SourceName(ModelConfig parent, string childName, CloneMap map)
    {
        if (ParameterLayout.LayerOf(childName) is not int l) return childName;
        int source = map.LayerMap[l];
        string name = ParameterLayout.WithLayer(childName, source);
        if (ParameterLayout.ExpertOf(name) is int slot) return ParameterLayout.WithExpert(name, map.Experts![l][slot]);
        if (map.DenseModelType is not null && parent.Moe!.IsSparse(source) && parent.Family.Moe is { } layout)
        {
            string block = parent.Family.BlockPrefixAt(source);
            for (int i = 0; i < 3; i++)
                if (name == block + "mlp." + MoeLayout.DenseProjections[i] + ".weight")
                    return block + layout.ExpertPrefix.Replace(ParameterRow.ExpertPlaceholder, map.Experts![l][0].ToString(System.Globalization.CultureInfo.InvariantCulture))
                        + layout.Projections[i] + ".weight";
        }
        return name;
    }

    /// <summary>The expert slot a child tensor belongs to: its own index, or 0 for a dense child's MLP cut from an expert.</summary>
    static int? ExpertSlot(ModelConfig parent, string childName, CloneMap map) =>
        ParameterLayout.ExpertOf(childName) ?? (map.DenseModelType is not null && ParameterLayout.LayerOf(childName) is int l
            && parent.Moe!.IsSparse(map.LayerMap[l]) ? 0 : null);

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
        var layout = ParameterLayout.For(parent, SourceName(parent, childName, map));
        var kept = Kept(map, layer, ExpertSlot(parent, childName, map));
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
    public static KeptUnits Kept(CloneMap map, int? layer) => Kept(map, layer, null);

    /// <summary>What the map keeps for block <paramref name="layer"/>'s expert slot <paramref name="expert"/> (its experts and that expert's neurons).</summary>
    public static KeptUnits Kept(CloneMap map, int? layer, int? expert) =>
        new(map.ResidualDims, layer is int l
            ? new KeptBlockUnits(map.Heads[l], map.KvHeads[l], map.FfnNeurons[l], map.Experts?[l],
                expert is int e ? map.ExpertFfnNeurons![l][e] : null)
            : null);
}
