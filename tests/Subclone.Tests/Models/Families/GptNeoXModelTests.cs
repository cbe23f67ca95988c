using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>GPT-NeoX's block forms, its per-head fused projection and its config fields.</summary>
public class GptNeoXModelTests
{
    public static JsonObject ConfigJson(bool parallel = true, double rotaryPct = 0.25) => new()
    {
        ["model_type"] = "gpt_neox", ["architectures"] = new JsonArray("GPTNeoXForCausalLM"),
        ["hidden_size"] = 32, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 4, ["intermediate_size"] = 64,
        ["vocab_size"] = 40, ["max_position_embeddings"] = 64, ["layer_norm_eps"] = 1e-5, ["hidden_act"] = "gelu",
        ["rotary_pct"] = rotaryPct, ["rotary_emb_base"] = 10000, ["use_parallel_residual"] = parallel,
        ["tie_word_embeddings"] = false,
    };

    static ModelConfig Config(JsonObject json) => ModelConfig.Parse(json, "config.json");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Blocks_compute_the_parallel_or_the_sequential_residual(bool parallel)
    {
        var model = (GptNeoXModel)TransformerModel.Create(Config(ConfigJson(parallel)), seed: 5);
        using var _ = no_grad();
        var ids = randint(0, 40, [2, 6], generator: new Generator(6));
        var context = GptNeoXLayer.Context(model.Config, 6);
        var x = model.gpt_neox.embed_in.forward(ids);
        foreach (var layer in model.gpt_neox.layers)
        {
            var attended = layer.attention.Forward(layer.input_layernorm.forward(x), context, null);
            x = parallel
                ? x + attended + layer.mlp.Forward(layer.post_attention_layernorm.forward(x), null)
                : x + attended + layer.mlp.Forward(layer.post_attention_layernorm.forward(x + attended), null);
        }
        var expected = model.embed_out!.forward(model.gpt_neox.final_layer_norm.forward(x));
        Assert.True((model.Forward(ids) - expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Query_key_value_rows_are_grouped_per_head()
    {
        // Zero every row of the fused projection but head 1's value rows ([h=1, part=2, :] of [heads, 3, head_dim]):
        // then only head 1 outputs anything, and its output is its value rows applied to the normed input.
        var model = (GptNeoXModel)TransformerModel.Create(Config(ConfigJson()), seed: 7);
        var attention = model.gpt_neox.layers[0].attention;
        using var _ = no_grad();
        var weight = attention.query_key_value.weight;
        var kept = weight.view(4, 3, 8, 32)[1, 2].clone();
        weight.zero_();
        weight.view(4, 3, 8, 32)[1, 2].copy_(kept);
        attention.query_key_value.bias!.zero_();
        var heads = new HeadCapture();
        var x = randn([1, 5, 32], generator: new Generator(8));
        attention.Forward(x, GptNeoXLayer.Context(model.Config, 5), heads);
        var output = heads.Output!;
        Assert.Equal(0, output[0, 0].abs().max().item<float>());
        Assert.Equal(0, output[0, 2..].abs().max().item<float>());
        // Uniform attention over equal query/key zeros: position t averages the values of positions 0..t.
        var values = matmul(x, kept.t())[0];
        var expected = values.cumsum(0) / arange(1, 6).unsqueeze(1);
        Assert.True((output[0, 1] - expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Config_fields_use_Pythias_names_and_defaults()
    {
        var json = ConfigJson();
        json.Remove("rotary_pct");
        json.Remove("use_parallel_residual");
        json["rotary_emb_base"] = 500;
        var config = Config(json);
        Assert.Equal(2, config.Rope.RotaryDim(config.HeadDim));  // GPTNeoXConfig's default rotary_pct: 8 · 0.25
        Assert.True(GptNeoXFamily.ParallelResidual(config));
        Assert.Equal(500, config.Rope.Theta);
        Assert.Equal("GPTNeoXForCausalLM", config.ArchitectureName);
        json["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 20.0, ["partial_rotary_factor"] = 0.5 };
        config = Config(json);
        Assert.Equal(4, config.Rope.RotaryDim(config.HeadDim));
        Assert.Equal(20, config.Rope.Theta);
    }

    [Fact]
    public void A_bad_rotary_pct_is_refused_naming_it()
    {
        var e = Assert.Throws<CheckpointException>(() => Config(ConfigJson(rotaryPct: 0.1)));
        Assert.Contains("'rotary_pct'", e.Message);
    }

    sealed class HeadCapture : ActivationProbe
    {
        public Tensor? Output;
        public override void OnHeadOutputs(int layer, Tensor heads) => Output = heads.clone();
    }
}
