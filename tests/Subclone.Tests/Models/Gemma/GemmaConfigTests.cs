using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Models.Families;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Gemma;

/// <summary>Gemma config fields: HF's defaults per model_type, both rope namings, and refusals that name the field.</summary>
public class GemmaConfigTests
{
    static JsonObject Tiny(string modelType) => new()
    {
        ["model_type"] = modelType, ["hidden_size"] = 16, ["num_hidden_layers"] = 4, ["num_attention_heads"] = 2,
        ["num_key_value_heads"] = 1, ["head_dim"] = 8, ["intermediate_size"] = 32, ["vocab_size"] = 40,
    };

    static ModelConfig Parse(JsonObject json) => ModelConfig.Parse(json, "config.json");

    [Fact]
    public void Defaults_follow_each_config_class()
    {
        var gemma2 = GemmaSettings.Of(Parse(Tiny("gemma2")));
        Assert.Equal((50.0, 30.0, 256.0, 4096), (gemma2.AttentionSoftcap, gemma2.FinalSoftcap, gemma2.QueryPreAttnScalar, gemma2.SlidingWindow));
        Assert.Equal([GemmaSettings.Sliding, GemmaSettings.Full, GemmaSettings.Sliding, GemmaSettings.Full], gemma2.LayerTypes);
        Assert.Null(gemma2.LocalRope);

        var json = Tiny("gemma3_text");
        var config3 = Parse(json);
        var gemma3 = GemmaSettings.Of(config3);
        Assert.Equal("Gemma3ForCausalLM", config3.ArchitectureName);
        Assert.Equal((null, null), (gemma3.AttentionSoftcap, gemma3.FinalSoftcap));
        Assert.Equal((1e6, 10000.0), (config3.Rope.Theta, gemma3.LocalRope!.Theta));
        Assert.True(config3.TieWordEmbeddings);
        // sliding_window_pattern 6 over 4 layers: all sliding; 2: Gemma 2's alternation.
        Assert.All(gemma3.LayerTypes, t => Assert.Equal(GemmaSettings.Sliding, t));
        json["sliding_window_pattern"] = 2;
        Assert.Equal(gemma2.LayerTypes, GemmaSettings.Of(Parse(json)).LayerTypes);

        var nullCaps = Tiny("gemma2");
        nullCaps["attn_logit_softcapping"] = null;
        nullCaps["final_logit_softcapping"] = null;
        Assert.Equal((null, null), (GemmaSettings.Of(Parse(nullCaps)).AttentionSoftcap, GemmaSettings.Of(Parse(nullCaps)).FinalSoftcap));
    }

    [Theory]
    [InlineData("layer_types", "[\"sliding_attention\"]", "layer_types")]
    [InlineData("layer_types", "[\"sliding_attention\",\"global\",\"full_attention\",\"full_attention\"]", "layer_types")]
    [InlineData("sliding_window", "null", "sliding_window")]
    [InlineData("query_pre_attn_scalar", "0", "query_pre_attn_scalar")]
    [InlineData("attn_logit_softcapping", "-1", "attn_logit_softcapping")]
    [InlineData("head_dim", "7", "head_dim")]
    [InlineData("rope_scaling", "{\"rope_type\":\"su\",\"factor\":2}", "rope_scaling")]
    [InlineData("hidden_activation", "\"swiglu\"", "hidden_activation")]
    public void Bad_fields_are_refused_by_name(string field, string value, string named)
    {
        var json = Tiny("gemma3_text");
        json[field] = JsonNode.Parse(value);
        var e = Assert.Throws<CheckpointException>(() => Parse(json));
        Assert.Contains($"'{named}", e.Message);
    }

    [Theory]
    [InlineData("gemma2", false)]
    [InlineData("gemma3_text", true)]
    [InlineData("gemma3_text", false)]
    public void Module_parameters_are_the_descriptor_table(string modelType, bool tied)
    {
        var json = Tiny(modelType);
        json["tie_word_embeddings"] = tied;
        var config = Parse(json);
        var model = TransformerModel.Create(config, seed: 2);
        var table = config.Family.Shapes(config).Select(s => (s.Name, string.Join(",", s.Shape))).ToList();
        var module = model.state_dict().Select(kv => (kv.Key, string.Join(",", kv.Value.shape))).ToList();
        Assert.Equal(table, module);
        Assert.Equal(modelType == "gemma3_text", module.Any(m => m.Key.EndsWith("self_attn.q_norm.weight")));
        Assert.Equal(config.Family.ParameterCount(config), model.ParameterCount());
        // (1+w) norms start at zero, a unit scale; HF's init.
        Assert.All(model.state_dict().Where(kv => kv.Key.EndsWith("norm.weight")), kv => Assert.Equal(0, kv.Value.abs().max().item<float>()));
    }

    [SharedFact]
    public void A_config_declaring_billions_of_layers_is_refused_against_its_weights()
    {
        // The attention pattern of such a config is never spelled out, so it reaches the weight-count check.
        using var dir = new TempDir();
        string fixture = SharedData.Fixture("gemma3-tiny");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json")))!.AsObject();
        json.Remove("layer_types");
        json["num_hidden_layers"] = int.MaxValue;
        Directory.CreateDirectory(dir["m"]);
        File.WriteAllText(dir["m/config.json"], json.ToJsonString());
        File.Copy(Path.Combine(fixture, "model.safetensors"), dir["m/model.safetensors"]);
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(dir["m"]));
        Assert.Contains($"num_hidden_layers is {int.MaxValue}", e.Message);
    }

    [SharedTheory]
    [InlineData("gemma2-tiny")]
    [InlineData("gemma3-tiny")]
    public void Saved_config_keeps_every_original_field_and_reloads_to_the_same_logits(string fixture)
    {
        using var dir = new TempDir();
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(loaded.Model, dir["saved"], ScalarType.Float32);
        var original = JsonNode.Parse(File.ReadAllText(Path.Combine(SharedData.Fixture(fixture), "config.json")))!.AsObject();
        var saved = JsonNode.Parse(File.ReadAllText(dir["saved/config.json"]))!.AsObject();
        foreach (var (key, value) in original)
            Assert.True(saved.ContainsKey(key) && (value is null ? saved[key] is null
                : value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
                    ? v.GetValue<double>() == saved[key]!.GetValue<double>() : JsonNode.DeepEquals(value, saved[key])), $"'{key}' changed");

        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        using var before = loaded.Model.Forward(ids);
        using var after = HfCheckpoint.Load(dir["saved"]).Model.Forward(ids);
        Assert.True(before.equal(after).all().item<bool>());
    }

    [SharedFact]
    public void Transformers_v5_rope_parameters_by_layer_type_give_the_same_logits()
    {
        // gemma3-tiny's config as transformers v5 writes it: θ and scaling inside rope_parameters, one entry per layer type.
        using var dir = new TempDir();
        string fixture = SharedData.Fixture("gemma3-tiny");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json")))!.AsObject();
        foreach (string key in new[] { "rope_scaling", "rope_theta", "rope_local_base_freq", "torch_dtype" }) json.Remove(key);
        json["dtype"] = "float32";
        json["rope_parameters"] = JsonNode.Parse("""
            {"full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
             "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0}}
            """);
        Directory.CreateDirectory(dir["m"]);
        File.WriteAllText(dir["m/config.json"], json.ToJsonString());
        File.Copy(Path.Combine(fixture, "model.safetensors"), dir["m/model.safetensors"]);

        var model = HfCheckpoint.Load(dir["m"]).Model;
        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds("gemma3-tiny")).unsqueeze(0);
        using var logits = model.Forward(ids).squeeze(0);
        using var expected = FixtureLogitsTests.ExpectedLogits("gemma3-tiny");
        Assert.True((logits - expected).abs().max().item<float>() < 1e-4);

        // A saved copy keeps v5's naming: no top-level rope_theta appears beside rope_parameters.
        HfCheckpoint.Save(model, dir["saved"], ScalarType.Float32);
        var saved = JsonNode.Parse(File.ReadAllText(dir["saved/config.json"]))!.AsObject();
        Assert.False(saved.ContainsKey("rope_theta"));
        Assert.True(saved.ContainsKey("rope_parameters"));
    }
}
