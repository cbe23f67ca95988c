using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>Config fields that change the forward are computed (sliding windows) or refused by name, never ignored.</summary>
public class ForwardFieldTests
{
    static JsonObject Llama(string modelType, params (string Key, JsonNode? Value)[] extra)
    {
        var json = new JsonObject
        {
            ["model_type"] = modelType, ["hidden_size"] = 16, ["num_hidden_layers"] = 1, ["num_attention_heads"] = 2,
            ["num_key_value_heads"] = 1, ["intermediate_size"] = 24, ["vocab_size"] = 40, ["max_position_embeddings"] = 32,
        };
        foreach (var (key, value) in extra) json[key] = value;
        return json;
    }

    [Theory]
    [InlineData("llama", "attn_logit_softcapping", "50.0")]
    [InlineData("llama", "final_logit_softcapping", "30.0")]
    [InlineData("olmo2", "sliding_window", "4")]
    [InlineData("qwen3", "partial_rotary_factor", "0.5")]
    [InlineData("llama", "no_rope_layers", "[1]")]
    [InlineData("mistral", "num_local_experts", "8")]
    public void A_forward_changing_field_the_family_does_not_implement_is_refused_by_name(string modelType, string field, string value)
    {
        var e = Assert.Throws<CheckpointException>(() => ModelConfig.Parse(Llama(modelType, (field, JsonNode.Parse(value))), "config.json"));
        Assert.Contains($"field '{field}'", e.Message);
    }

    [Theory]
    [InlineData("qwen3", "use_sliding_window", "false")]   // off: sliding_window then means nothing
    [InlineData("qwen3", "layer_types", "[\"full_attention\"]")]
    [InlineData("llama", "partial_rotary_factor", "1.0")]  // the neutral value
    [InlineData("llama", "attn_logit_softcapping", "null")]
    public void A_field_at_its_neutral_value_is_accepted(string modelType, string field, string value)
    {
        var json = Llama(modelType, (field, JsonNode.Parse(value)), ("sliding_window", 4));
        if (modelType == "llama") json.Remove("sliding_window");
        Assert.Equal(1, ModelConfig.Parse(json, "config.json").Layers);
    }

    /// <summary>With a window of w, position p attends to p−w+1 … p only: in a one-block model its logits are those of
    /// the last position of the w tokens ending at p on their own (RoPE depends on relative positions only).</summary>
    [Theory]
    [InlineData("mistral")]
    [InlineData("qwen3")]
    public void A_sliding_window_restricts_attention_to_the_last_window_tokens(string modelType)
    {
        const int window = 3, length = 9;
        var json = Llama(modelType, ("sliding_window", window));
        if (modelType == "qwen3") { json["use_sliding_window"] = true; json["max_window_layers"] = 0; }
        var model = TransformerModel.Create(ModelConfig.Parse(json, "config.json"), seed: 4);
        json["sliding_window"] = null;
        var full = TransformerModel.Create(ModelConfig.Parse(json, "config.json"), seed: 4);
        using var _ = no_grad();
        var ids = randint(0, 40, [1, length], generator: new Generator(5));
        var logits = model.Forward(ids);
        for (int p = window; p < length; p++)
        {
            var alone = model.Forward(ids[.., (p - window + 1)..(p + 1)]);
            Assert.True(logits[0, p].allclose(alone[0, window - 1], rtol: 1e-4, atol: 1e-5), $"position {p}");
        }
        // Without the window the same weights give other logits beyond the first window positions.
        Assert.False(full.Forward(ids)[0, length - 1].allclose(logits[0, length - 1], rtol: 1e-4, atol: 1e-5));
        Assert.True(full.Forward(ids)[0, window - 1].allclose(logits[0, window - 1], rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Qwen3_layer_types_decide_which_blocks_slide()
    {
        var json = Llama("qwen3", ("sliding_window", 2), ("use_sliding_window", true), ("num_hidden_layers", 2),
            ("layer_types", new JsonArray("full_attention", "sliding_attention")));
        var config = ModelConfig.Parse(json, "config.json");
        Assert.Null(Subclone.Models.Families.LlamaFamily.SlidingWindow(config, 0));
        Assert.Equal(2, Subclone.Models.Families.LlamaFamily.SlidingWindow(config, 1));
        json["layer_types"] = new JsonArray("full_attention");
        var e = Assert.Throws<CheckpointException>(() => ModelConfig.Parse(json, "config.json"));
        Assert.Contains("'layer_types'", e.Message);
    }
}
