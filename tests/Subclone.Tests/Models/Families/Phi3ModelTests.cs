using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>Phi-3's quirks that the fixtures do not pin down: the sliding window, its config checks, its parameter names.</summary>
public class Phi3ModelTests
{
    public static JsonObject ConfigJson(int layers = 2, int? slidingWindow = null, double partialRotary = 1.0) => new()
    {
        ["model_type"] = "phi3", ["architectures"] = new JsonArray("Phi3ForCausalLM"),
        ["hidden_size"] = 32, ["num_hidden_layers"] = layers, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2,
        ["intermediate_size"] = 48, ["vocab_size"] = 40, ["max_position_embeddings"] = 64, ["rms_norm_eps"] = 1e-5,
        ["partial_rotary_factor"] = partialRotary, ["sliding_window"] = slidingWindow, ["tie_word_embeddings"] = false,
    };

    static ModelConfig Config(JsonObject json) => ModelConfig.Parse(json, "config.json");

    [Fact]
    public void Parameters_are_HFs_fused_projections()
    {
        var model = TransformerModel.Create(Config(ConfigJson()), seed: 1);
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        // [q | k | v] = 4·8 + 2·8 + 2·8 rows; [gate; up] = 2·48 rows.
        Assert.Equal([64L, 32], shapes["model.layers.1.self_attn.qkv_proj.weight"]);
        Assert.Equal([96L, 32], shapes["model.layers.0.mlp.gate_up_proj.weight"]);
        Assert.Equal([32L, 32], shapes["model.layers.0.self_attn.o_proj.weight"]);
        Assert.DoesNotContain(shapes.Keys, k => k.Contains("q_proj") || k.EndsWith(".bias"));
        Assert.Equal(TransformerModel.ParameterShapes(model.Config).Select(p => p.Name), model.state_dict().Keys);
    }

    [Fact]
    public void A_sliding_window_limits_what_each_position_sees()
    {
        // One block and relative (rotary) positions: with a window of 4, position i's logits are those of the
        // last position of the four tokens ending at i run alone. Without the mask they see the whole prefix.
        var model = TransformerModel.Create(Config(ConfigJson(layers: 1, slidingWindow: 4)), seed: 3);
        var unwindowed = TransformerModel.Create(Config(ConfigJson(layers: 1)), seed: 3);
        using var _ = no_grad();
        var ids = randint(0, 40, [1, 10], generator: new Generator(4));
        var logits = model.Forward(ids);
        for (int i = 4; i < 10; i++)
        {
            var alone = model.Forward(ids[.., (i - 3)..(i + 1)]);
            double diff = (logits[0, i] - alone[0, -1]).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"position {i}: {diff}");
        }
        Assert.True((unwindowed.Forward(ids)[0, 9] - logits[0, 9]).abs().max().item<float>() > 1e-3);
        Assert.True((unwindowed.Forward(ids)[0, ..4] - logits[0, ..4]).abs().max().item<float>() < 1e-6);
    }

    [Theory]
    [InlineData(0.3)]   // int(8 · 0.3) = 2 is fine, int(8 · 0.1) = 0 is not
    public void Partial_rotary_factors_give_even_rotary_widths(double factor)
    {
        var config = Config(ConfigJson(partialRotary: factor));
        Assert.Equal(2, config.Rope.RotaryDim(config.HeadDim));
    }

    [Theory]
    [InlineData("partial_rotary_factor", 0.1)]
    [InlineData("partial_rotary_factor", 1.5)]
    [InlineData("partial_rotary_factor", 0.375)]  // 3 rotary dims: odd
    [InlineData("sliding_window", 0)]
    [InlineData("head_dim", 16)]                  // Phi-3 always uses hidden / heads = 8
    public void Bad_forward_fields_are_refused_naming_the_field(string field, double value)
    {
        var json = ConfigJson();
        json[field] = value;
        var e = Assert.Throws<CheckpointException>(() => Config(json));
        Assert.Contains($"'{field}'", e.Message);
    }

    [Theory]
    [InlineData("su")]
    [InlineData("yarn")]
    public void Legacy_rope_types_are_LongRoPE_as_Phi3Config_renames_them(string legacy)
    {
        var json = ConfigJson();
        json["original_max_position_embeddings"] = 16;
        json["rope_scaling"] = new JsonObject
        {
            ["type"] = legacy, ["short_factor"] = new JsonArray(1.0, 1.1, 1.2, 1.3), ["long_factor"] = new JsonArray(1.0, 2.0, 3.0, 4.0),
        };
        var config = Config(json);
        Assert.Equal("longrope", config.Rope.RopeType);
        Assert.Equal([1.0, 2.0, 3.0, 4.0], config.Rope.LongFactor);
        Assert.Equal(legacy, (string?)config.Raw["rope_scaling"]!["type"]);  // a child's config keeps the parent's naming
    }
}
