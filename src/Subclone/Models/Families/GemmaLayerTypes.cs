using System.Text.Json.Nodes;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma's per-layer field: layer_types. Each child block keeps its parent block's attention type, and the child's
/// config spells the types out even where the parent relied on the even-layer rule (Gemma 2 on the Hub) or on
/// sliding_window_pattern, which applied to the child's own depth would give dropped or duplicated blocks the
/// wrong type.
/// </summary>
public sealed record GemmaLayerTypes() : PerLayerField("layer_types")
{
    /// <summary>Always: absent, the types follow from the even-layer rule or sliding_window_pattern and must be written out.</summary>
    public override bool AppliesTo(JsonObject raw) => true;

    /// <inheritdoc/>
    public override void Rewrite(JsonObject child, IReadOnlyList<int> layerMap, int parentLayers)
    {
        var family = ModelFamilies.Find(child["model_type"]?.GetValue<string>() ?? "");
        var options = family?.Options as GemmaOptions ?? GemmaOptions.Gemma2;
        var types = GemmaSettings.ReadLayerTypes(new ConfigReader(child, "config.json"), parentLayers, options);
        child[Name] = new JsonArray(layerMap.Select(l => (JsonNode?)types[l]).ToArray());
    }
}
