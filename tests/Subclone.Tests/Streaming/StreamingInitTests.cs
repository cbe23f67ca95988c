using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Streaming;

/// <summary>subclone init: random checkpoints written tensor by tensor, loadable, HF-initialised, and independent of sharding.</summary>
public class StreamingInitTests
{
    static JsonObject BertConfig() => new()
    {
        ["model_type"] = "bert", ["hidden_size"] = 32, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 2,
        ["intermediate_size"] = 48, ["vocab_size"] = 50, ["max_position_embeddings"] = 16,
    };

    static JsonObject ConfigJson(string family) => family switch
    {
        "gpt2" => TinyModels.Gpt2Config(),
        "llama" => TinyModels.LlamaConfig(),
        "bert" => BertConfig(),
        _ => throw new ArgumentException(family),
    };

    static string WriteConfig(TempDir dir, JsonObject json)
    {
        File.WriteAllText(dir["config.json"], json.ToJsonString());
        return dir["config.json"];
    }

    /// <summary>Every tensor of a checkpoint directory by name, in its stored dtype.</summary>
    static Dictionary<string, Tensor> Tensors(string directory)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var path in Directory.GetFiles(directory, "*.safetensors"))
        {
            using var file = SafeTensorsFile.Open(path);
            foreach (var name in file.Names) result[name] = file.ReadRaw(name);
        }
        return result;
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("bert")]
    public void Init_writes_a_checkpoint_the_model_loads_with_HF_initialisation(string family)
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("init", "--config", WriteConfig(dir, ConfigJson(family)), "--out", dir["m"], "--dtype", "bf16", "--seed", "3", "--json");
        Assert.Equal(0, result.ExitCode);

        var loaded = HfCheckpoint.Load(dir["m"]);  // fails on any missing, extra or misshapen tensor
        Assert.Equal(ScalarType.BFloat16, loaded.StoredDtype);
        Assert.Equal(loaded.Model.ParameterCount(), (long)JsonNode.Parse(result.Out)!["params"]!);
        foreach (var (name, p) in loaded.Model.state_dict())
        {
            var rule = TransformerModel.InitFor(loaded.Model.Config, name);
            if (rule.Std is null) Assert.True(p.eq(rule.Constant).all().item<bool>(), $"{name} is not all {rule.Constant}");
            else Assert.True(p.std().item<float>() > 0, $"{name} is constant");
        }
    }

    [Fact]
    public void GPT2_residual_projections_are_drawn_with_the_smaller_std()
    {
        using var dir = new TempDir();
        var json = TinyModels.Gpt2Config();
        json["n_embd"] = 128; json["n_layer"] = 8;  // c_proj std 0.02/4 = 0.005 against 0.02, over 16k+ values
        RandomCheckpoint.Write(ModelConfig.Parse(json, "config.json"), dir["m"], ScalarType.Float32, seed: 1);
        var tensors = Tensors(dir["m"]);
        Assert.InRange(tensors["transformer.h.3.attn.c_proj.weight"].std().item<float>(), 0.0045, 0.0055);
        Assert.InRange(tensors["transformer.h.3.mlp.c_proj.weight"].std().item<float>(), 0.0045, 0.0055);
        Assert.InRange(tensors["transformer.h.3.mlp.c_fc.weight"].std().item<float>(), 0.019, 0.021);
        Assert.InRange(tensors["transformer.wte.weight"].std().item<float>(), 0.018, 0.022);
    }

    [Fact]
    public void Weights_depend_on_the_seed_and_the_tensor_name_but_not_on_the_shard_size()
    {
        using var dir = new TempDir();
        var config = ModelConfig.Parse(TinyModels.LlamaConfig(), "config.json");
        RandomCheckpoint.Write(config, dir["one"], ScalarType.BFloat16, seed: 5);
        RandomCheckpoint.Write(config, dir["sharded"], ScalarType.BFloat16, seed: 5, maxShardBytes: 1024);
        RandomCheckpoint.Write(config, dir["other"], ScalarType.BFloat16, seed: 6);

        Assert.True(File.Exists(Path.Combine(dir["sharded"], HfCheckpoint.IndexFile)));
        Assert.True(Directory.GetFiles(dir["sharded"], "*.safetensors").Length > 3);
        var one = Tensors(dir["one"]);
        var sharded = Tensors(dir["sharded"]);
        var other = Tensors(dir["other"]);
        Assert.Equal(one.Keys.Order(), sharded.Keys.Order());
        foreach (var name in one.Keys) Assert.True(ModelAssert.BitEqual(one[name], sharded[name]), $"{name} differs between shard sizes");
        Assert.False(ModelAssert.BitEqual(one["model.layers.0.mlp.up_proj.weight"], other["model.layers.0.mlp.up_proj.weight"]));
        // Same shape, different names: different draws.
        Assert.False(ModelAssert.BitEqual(one["model.layers.0.mlp.up_proj.weight"], one["model.layers.0.mlp.gate_proj.weight"]));
        Assert.False(ModelAssert.BitEqual(one["model.layers.0.mlp.up_proj.weight"], one["model.layers.1.mlp.up_proj.weight"]));
    }

    [Fact]
    public void Init_refuses_an_existing_directory_and_a_bad_shard_size_and_defaults_to_the_configs_dtype()
    {
        using var dir = new TempDir();
        var json = TinyModels.Gpt2Config();
        json["torch_dtype"] = "float16";
        string config = WriteConfig(dir, json);

        var bad = CliRunner.Run("init", "--config", config, "--out", dir["m"], "--shard-size", "lots");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--shard-size lots: not a size", bad.Error);
        Assert.False(Directory.Exists(dir["m"]));

        Assert.Equal(0, CliRunner.Run("init", "--config", config, "--out", dir["m"], "--shard-size", "2KB").ExitCode);
        Assert.Equal(ScalarType.Float16, HfCheckpoint.Load(dir["m"]).StoredDtype);
        Assert.True(Directory.GetFiles(dir["m"], "*.safetensors").Length > 1);

        var again = CliRunner.Run("init", "--config", config, "--out", dir["m"]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Error);
    }
}
