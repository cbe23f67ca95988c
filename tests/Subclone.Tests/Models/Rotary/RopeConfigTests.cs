using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>rope_scaling / rope_parameters as config.json spells them, in both namings, and the refusals.</summary>
public sealed class RopeConfigTests : IDisposable
{
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A tiny Llama config (head_dim 16, max_position_embeddings 64) with <paramref name="edit"/> applied.</summary>
    static JsonObject Config(Action<JsonObject> edit)
    {
        var json = new JsonObject
        {
            ["model_type"] = "llama", ["hidden_size"] = 32, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 1,
            ["intermediate_size"] = 16, ["vocab_size"] = 16, ["max_position_embeddings"] = 64,
        };
        edit(json);
        return json;
    }

    static RopeParameters Rope(Action<JsonObject> edit) => ModelConfig.Parse(Config(edit), "config.json").Rope;

    static string Refused(Action<JsonObject> edit) =>
        Assert.Throws<CheckpointException>(() => ModelConfig.Parse(Config(edit), "config.json")).Message;

    [Fact]
    public void No_rope_scaling_is_plain_rope_with_rope_theta()
    {
        var rope = Rope(c => c["rope_theta"] = 5e5);
        Assert.Equal("default", rope.RopeType);
        Assert.Equal(5e5, rope.Theta);
        Assert.Equal(16, rope.RotaryDim(16));
        Assert.Equal("default", Rope(c => c["rope_scaling"] = null).RopeType);
    }

    [Fact]
    public void Hub_naming_reads_rope_type_or_the_legacy_type_key()
    {
        var llama3 = Rope(c => c["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0,
            ["original_max_position_embeddings"] = 32,
        });
        Assert.Equal(("llama3", 8.0, 1.0, 4.0, 32), (llama3.RopeType, llama3.Factor, llama3.LowFreqFactor, llama3.HighFreqFactor, llama3.OriginalMaxPositions));
        var yarn = Rope(c => c["rope_scaling"] = new JsonObject { ["type"] = "yarn", ["factor"] = 4.0, ["beta_fast"] = 16, ["truncate"] = false });
        Assert.Equal(("yarn", 4.0, 16.0, 1.0, false, 64), (yarn.RopeType, yarn.Factor, yarn.BetaFast, yarn.BetaSlow, yarn.Truncate, yarn.OriginalMaxPositions));
        Assert.Equal(("linear", 2.0), (Rope(c => c["rope_scaling"] = new JsonObject { ["type"] = "linear", ["factor"] = 2 }) is var l ? (l.RopeType, l.Factor) : default));
    }

    [Fact]
    public void V5_rope_parameters_hold_theta_and_type_and_a_saved_child_keeps_that_naming()
    {
        var json = Config(c => c["rope_parameters"] = new JsonObject { ["rope_type"] = "dynamic", ["factor"] = 2.0, ["rope_theta"] = 1e6 });
        var config = ModelConfig.Parse(json, "config.json");
        Assert.Equal(("dynamic", 2.0, 1e6, 64), (config.Rope.RopeType, config.Rope.Factor, config.Rope.Theta, config.Rope.MaxPositions));

        var model = TransformerModel.Create(config, seed: 1);
        HfCheckpoint.Save(model, _temp["v5"], ScalarType.Float32);
        var saved = JsonNode.Parse(File.ReadAllText(_temp["v5/config.json"]))!.AsObject();
        Assert.False(saved.ContainsKey("rope_theta"), "a v5 config keeps θ inside rope_parameters");
        Assert.False(saved.ContainsKey("rope_scaling"));
        Assert.True(JsonNode.DeepEquals(json["rope_parameters"], saved["rope_parameters"]));
        Assert.Equal(config.Rope.Theta, HfCheckpoint.Load(_temp["v5"]).Model.Config.Rope.Theta);
    }

    [Fact]
    public void V5_rope_parameters_per_layer_type_are_picked_by_layer_type()
    {
        var json = Config(c => c["rope_parameters"] = new JsonObject
        {
            ["full_attention"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 8.0, ["rope_theta"] = 1e6 },
            ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 1e4 },
        });
        var global = RopeParametersReader.Read(json, "config.json", 16, 64, "full_attention");
        var local = RopeParametersReader.Read(json, "config.json", 16, 64, "sliding_attention");
        Assert.Equal(("linear", 8.0, 1e6), (global.RopeType, global.Factor, global.Theta));
        Assert.Equal(("default", 1e4), (local.RopeType, local.Theta));
    }

    [Fact]
    public void Phi3_top_level_original_max_position_embeddings_sets_longrope_factor_and_partial_rotary_factor_the_dims()
    {
        // Read directly: a Llama config with a partial rotary factor is refused (Llama does not implement it; Phi-3 does).
        var json = Config(c =>
        {
            c["max_position_embeddings"] = 128;
            c["original_max_position_embeddings"] = 16;
            c["partial_rotary_factor"] = 0.5;
            c["rope_scaling"] = new JsonObject
            {
                ["type"] = "longrope",
                ["short_factor"] = new JsonArray(1.0, 1.1, 1.2, 1.3), ["long_factor"] = new JsonArray(1.0, 2.0, 3.0, 4.0),
            };
        });
        var rope = RopeParametersReader.Read(json, "config.json", headDim: 16, maxPositions: 128);
        Assert.Equal(("longrope", 16, 8.0, 8), (rope.RopeType, rope.OriginalMaxPositions, rope.Factor, rope.RotaryDim(16)));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], rope.LongFactor);
    }

    [Theory]
    [InlineData("""{"rope_type":"foo","factor":2.0}""", "field 'rope_scaling.rope_type' value 'foo' is not supported")]
    [InlineData("""{"type":"ntk","factor":2.0}""", "field 'rope_scaling.type' value 'ntk' is not supported")]
    [InlineData("""{"factor":2.0}""", "field 'rope_scaling' has no 'rope_type'")]
    [InlineData("""{"rope_type":"linear","type":"yarn","factor":2.0}""", "disagree")]
    [InlineData("""{"rope_type":"linear"}""", "is missing required field 'factor'")]
    [InlineData("""{"rope_type":"linear","factor":0}""", "field 'rope_scaling.factor' must be positive, got 0")]
    [InlineData("""{"rope_type":"dynamic","factor":-2.0}""", "field 'rope_scaling.factor' must be positive")]
    [InlineData("""{"rope_type":"yarn","factor":"4"}""", "field 'rope_scaling.factor' must be a number")]
    [InlineData("""{"rope_type":"yarn","factor":4.0,"truncate":"no"}""", "field 'rope_scaling.truncate' must be true or false")]
    [InlineData("""{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":16.5}""", "field 'rope_scaling.original_max_position_embeddings' must be a positive integer")]
    [InlineData("""{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0}""", "is missing required field 'original_max_position_embeddings'")]
    [InlineData("""{"rope_type":"llama3","factor":8.0,"low_freq_factor":4.0,"high_freq_factor":4.0,"original_max_position_embeddings":32}""", "field 'rope_scaling.high_freq_factor' (4) must exceed")]
    [InlineData("""{"rope_type":"longrope","short_factor":[1,1,1,1,1,1,1,1],"long_factor":[1,2,3]}""", "field 'rope_scaling.long_factor' has 3 entries; one per rotary frequency is 8")]
    [InlineData("""{"rope_type":"longrope","long_factor":[1,1,1,1,1,1,1,1]}""", "is missing required field 'short_factor'")]
    [InlineData("""{"rope_type":"longrope","short_factor":[1,1,1,1,1,1,1,0],"long_factor":[1,1,1,1,1,1,1,1]}""", "field 'rope_scaling.short_factor' must be a list of positive numbers")]
    [InlineData("""[1]""", "field 'rope_scaling' must be an object")]
    public void Unknown_types_and_malformed_fields_are_refused_naming_the_field(string scaling, string expected)
    {
        string message = Refused(c => c["rope_scaling"] = JsonNode.Parse(scaling));
        Assert.StartsWith("config.json: ", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void Partial_rotary_factor_out_of_range_and_bad_theta_are_refused()
    {
        Assert.Contains("field 'partial_rotary_factor' must be in (0, 1]", Refused(c => c["partial_rotary_factor"] = 1.5));
        Assert.Contains("rotates 3 of 16 dims", Refused(c => c["partial_rotary_factor"] = 0.1875));
        Assert.Contains("field 'rope_parameters.rope_theta' must be positive",
            Refused(c => c["rope_parameters"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 0 }));
    }

    [Theory]
    [InlineData("""{"rope_type":"foo","factor":2.0}""", "'rope_scaling.rope_type' value 'foo' is not supported")]
    [InlineData("""{"rope_type":"linear","factor":-1.0}""", "'rope_scaling.factor' must be positive")]
    public void The_cli_refuses_with_exit_2_and_writes_nothing(string scaling, string expected)
    {
        string dir = _temp["model"];
        HfCheckpoint.Save(TinyModels.Llama(), dir, ScalarType.Float32);
        var config = TinyModels.LlamaConfig();
        config["rope_scaling"] = JsonNode.Parse(scaling);
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.ConfigFile), config.ToJsonString());
        var before = Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Order().ToArray();

        var info = CliRunner.Run("info", dir);
        var clone = CliRunner.Run("clone", dir, "--out", _temp["child"], "--ratio", "0.5");

        Assert.Equal(2, info.ExitCode);
        Assert.Contains(Path.Combine(dir, HfCheckpoint.ConfigFile) + ": ", info.Error);
        Assert.Contains(expected, info.Error);
        Assert.Equal(2, clone.ExitCode);
        Assert.Contains(expected, clone.Error);
        Assert.Equal(before, Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Order().ToArray());
    }
}
