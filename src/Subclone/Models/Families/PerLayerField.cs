using System.Text.Json.Nodes;

namespace Subclone.Models.Families;

/// <summary>
/// A config field that says something per block (<c>layer_types</c>, <c>no_rope_layers</c>, <c>max_window_layers</c>):
/// a child whose block i is the parent's block <c>layerMap[i]</c> must say, for block i, what the parent said for
/// that block, so a child dropping middle blocks keeps each kept block's attention type.
/// </summary>
public abstract record PerLayerField(string Name)
{
    /// <summary>A JSON array with one entry per block (layer_types, no_rope_layers, per-layer sliding windows).</summary>
    public static PerLayerField List(string name) => new PerLayerList(name);

    /// <summary>An integer n: blocks below n are of one kind, blocks from n on of the other (Qwen2's max_window_layers).</summary>
    public static PerLayerField Threshold(string name) => new PerLayerThreshold(name);

    /// <summary>
    /// Rewrites the field in <paramref name="child"/> (a copy of the parent's config.json) for a child whose block i is
    /// the parent's block <paramref name="layerMap"/>[i]; absent or null fields are left alone.
    /// </summary>
    public abstract void Rewrite(JsonObject child, IReadOnlyList<int> layerMap, int parentLayers);
}

/// <summary>See <see cref="PerLayerField.List"/>.</summary>
public sealed record PerLayerList(string Name) : PerLayerField(Name)
{
    /// <inheritdoc/>
    public override void Rewrite(JsonObject child, IReadOnlyList<int> layerMap, int parentLayers)
    {
        if (child[Name] is not JsonArray parent) return;
        // The family's Validate refuses a list of another length when the config is read.
        if (parent.Count != parentLayers)
            throw new InvalidOperationException($"field '{Name}' has {parent.Count} entries for {parentLayers} layers");
        child[Name] = new JsonArray(layerMap.Select(l => parent[l]?.DeepClone()).ToArray());
    }
}

/// <summary>See <see cref="PerLayerField.Threshold"/>. A child's blocks stay below the threshold exactly when their
/// parent blocks were; when that is not a prefix of the child (a reordered map), the child's value is the count of
/// its leading below-threshold blocks, and the family's own list field (layer_types) carries the exact pattern.</summary>
public sealed record PerLayerThreshold(string Name) : PerLayerField(Name)
{
    /// <inheritdoc/>
    public override void Rewrite(JsonObject child, IReadOnlyList<int> layerMap, int parentLayers)
    {
        if (child[Name] is not JsonValue value || !value.TryGetValue(out int threshold)) return;
        child[Name] = layerMap.TakeWhile(l => l < threshold).Count();
    }
}
