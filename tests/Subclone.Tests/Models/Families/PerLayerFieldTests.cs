using System.Text.Json.Nodes;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>Per-block config fields follow a child's layer map, so every kept or duplicated block keeps its attention type.</summary>
public class PerLayerFieldTests
{
    static readonly string[] ParentTypes = ["full_attention", "sliding_attention", "sliding_attention", "full_attention"];

    static ModelConfig Qwen3(bool withLayerTypes) => ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "qwen3", ["hidden_size"] = 16, ["num_hidden_layers"] = 4, ["num_attention_heads"] = 2,
        ["num_key_value_heads"] = 1, ["head_dim"] = 8, ["intermediate_size"] = 24, ["vocab_size"] = 40,
        ["use_sliding_window"] = true, ["sliding_window"] = 2, ["max_window_layers"] = 2,
        ["layer_types"] = withLayerTypes ? new JsonArray(ParentTypes.Select(t => (JsonNode?)t).ToArray()) : null,
    }, "config.json");

    static string[] Types(ModelConfig c) => [.. ((JsonArray)c.ToJson(ScalarType.Float32)["layer_types"]!).Select(t => t!.GetValue<string>())];

    [Theory]
    [InlineData(new[] { 0, 3 })]           // middle blocks dropped
    [InlineData(new[] { 0, 1, 1, 2, 3 })]  // a middle block duplicated
    [InlineData(new[] { 2, 0 })]           // reordered
    public void A_childs_layer_types_are_its_parent_blocks_types(int[] layerMap)
    {
        var parent = Qwen3(withLayerTypes: true);
        var child = Subcloner.ChildConfig(parent, CloneMap.Identity(parent) with { LayerMap = layerMap });

        Assert.Equal(layerMap.Select(l => ParentTypes[l]), Types(child));
        // The child's modules slide exactly where their parent blocks did.
        for (int i = 0; i < layerMap.Length; i++)
            Assert.Equal(LlamaFamily.SlidingWindow(parent, layerMap[i]), LlamaFamily.SlidingWindow(child, i));
        // And the child's config reads back (its layer_types has one entry per child block).
        Assert.Equal(layerMap.Length, ModelConfig.Parse(child.ToJson(ScalarType.Float32), "child config.json").Layers);
    }

    [Fact]
    public void Max_window_layers_counts_the_childs_blocks_below_the_parents_threshold()
    {
        // Without layer_types, blocks 2 and 3 of the parent slide (those from max_window_layers 2 on).
        var parent = Qwen3(withLayerTypes: false);
        var child = Subcloner.ChildConfig(parent, CloneMap.Identity(parent) with { LayerMap = [0, 1, 1, 3] });
        Assert.Equal(3, (int)child.ToJson(ScalarType.Float32)["max_window_layers"]!);
        Assert.Equal([null, null, null, 2], Enumerable.Range(0, 4).Select(i => LlamaFamily.SlidingWindow(child, i)));
    }

    [Fact]
    public void A_family_without_per_layer_fields_keeps_the_parents_config_object()
    {
        var parent = ModelConfig.Parse(Support.TinyModels.LlamaConfig(), "config.json");
        var child = Subcloner.ChildConfig(parent, CloneMap.Identity(parent) with { LayerMap = [1] });
        Assert.Same(parent.Raw, child.Raw);
    }
}
