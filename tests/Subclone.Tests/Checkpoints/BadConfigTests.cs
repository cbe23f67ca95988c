using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>A config.json no model can be built from fails Load with one line naming config.json and the field.</summary>
public sealed class BadConfigTests : IDisposable
{
    const string Remove = "<remove>";
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A saved tiny model (so weights are not what is missing) whose config.json is then replaced.</summary>
    string ModelWithConfig(string modelType, Func<JsonObject, string> configText)
    {
        string dir = _temp["model"];
        var model = modelType == "gpt2" ? TinyModels.Gpt2() : TinyModels.Llama();
        HfCheckpoint.Save(model, dir, ScalarType.Float32);
        var config = modelType == "gpt2" ? TinyModels.Gpt2Config() : TinyModels.LlamaConfig();
        File.WriteAllText(Path.Combine(dir, HfCheckpoint.ConfigFile), configText(config));
        return dir;
    }

    CheckpointException Rejected(string dir)
    {
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(dir));
        string configPath = Path.Combine(dir, HfCheckpoint.ConfigFile);
        Assert.Equal(configPath, e.Path);
        Assert.StartsWith(configPath + ": ", e.Message);
        return e;
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void The_unedited_configs_load_so_the_failures_below_are_the_edits(string modelType)
    {
        var loaded = HfCheckpoint.Load(ModelWithConfig(modelType, c => c.ToJsonString()));
        Assert.Equal(modelType, loaded.Model.Config.ModelType);
    }

    [Theory]
    [InlineData("gpt2", "model_type", Remove, "is missing required field 'model_type'")]
    [InlineData("gpt2", "model_type", "\"t5\"", "model_type 't5' is not supported")]
    [InlineData("gpt2", "model_type", "\"clip\"", "model_type 'clip' is not supported (gpt2, llama, mistral, qwen2, qwen3, olmo2, gemma2, gemma3_text, mixtral, qwen3_moe, olmoe, bert, vit, phi3, gpt_neox)")]
    [InlineData("gpt2", "model_type", "2", "field 'model_type' must be a string")]
    [InlineData("gpt2", "n_embd", Remove, "is missing required field 'n_embd'")]
    [InlineData("gpt2", "vocab_size", "null", "is missing required field 'vocab_size'")]
    [InlineData("gpt2", "n_layer", "-1", "field 'n_layer' must be positive, got -1")]
    [InlineData("gpt2", "n_layer", "0", "field 'n_layer' must be positive, got 0")]
    [InlineData("gpt2", "n_inner", "-4", "field 'n_inner' must be positive, got -4")]
    [InlineData("gpt2", "n_positions", "0", "field 'n_positions' must be positive, got 0")]
    [InlineData("gpt2", "n_head", "3", "field 'n_head' (3) does not divide 'n_embd' (16)")]
    [InlineData("gpt2", "n_embd", "\"16\"", "field 'n_embd' must be an integer, got \"16\"")]
    [InlineData("gpt2", "n_layer", "2.5", "field 'n_layer' must be an integer, got 2.5")]
    [InlineData("gpt2", "n_layer", "1e12", "field 'n_layer' must be an integer")]
    [InlineData("gpt2", "n_head", "true", "field 'n_head' must be an integer, got true")]
    [InlineData("gpt2", "layer_norm_epsilon", "\"1e-5\"", "field 'layer_norm_epsilon' must be a number")]
    [InlineData("gpt2", "layer_norm_epsilon", "0", "field 'layer_norm_epsilon' must be positive")]
    [InlineData("gpt2", "tie_word_embeddings", "\"yes\"", "field 'tie_word_embeddings' must be true or false")]
    [InlineData("gpt2", "activation_function", "\"swiglu\"", "field 'activation_function' value 'swiglu' is not supported")]
    [InlineData("gpt2", "model_type", "\"gp\\nt2\"", "model_type 'gp\\u000At2' is not supported")]
    [InlineData("gpt2", "initializer_range", "\"0.02\"", "field 'initializer_range' must be a number")]
    [InlineData("gpt2", "architectures", "\"GPT2LMHeadModel\"", "field 'architectures' must be a list of class names")]
    [InlineData("gpt2", "architectures", "[5]", "field 'architectures' must be a list of class names")]
    [InlineData("llama", "num_key_value_heads", "3", "field 'num_key_value_heads' (3) does not divide 'num_attention_heads' (4)")]
    [InlineData("llama", "num_key_value_heads", "0", "field 'num_key_value_heads' must be positive, got 0")]
    [InlineData("llama", "num_attention_heads", "0", "field 'num_attention_heads' must be positive, got 0")]
    [InlineData("llama", "num_hidden_layers", "-2", "field 'num_hidden_layers' must be positive, got -2")]
    [InlineData("llama", "head_dim", "5", "field 'head_dim' (5) must be even")]
    [InlineData("llama", "intermediate_size", Remove, "is missing required field 'intermediate_size'")]
    [InlineData("llama", "rope_theta", "\"10000\"", "field 'rope_theta' must be a number")]
    [InlineData("llama", "rms_norm_eps", "-1e-6", "field 'rms_norm_eps' must be positive")]
    [InlineData("llama", "hidden_act", "\"tanh\"", "field 'hidden_act' value 'tanh' is not supported")]
    [InlineData("llama", "hidden_size", "{}", "field 'hidden_size' must be an integer")]
    public void Bad_field(string modelType, string field, string value, string expected)
    {
        string dir = ModelWithConfig(modelType, config =>
        {
            if (value == Remove) config.Remove(field);
            else config[field] = JsonNode.Parse(value);
            return config.ToJsonString();
        });

        var e = Rejected(dir);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Invalid_JSON()
    {
        var e = Rejected(ModelWithConfig("gpt2", c => c.ToJsonString()[..^5]));
        Assert.Contains("is not valid JSON", e.Message);
    }

    [Fact]
    public void Billions_of_layers_are_refused_before_a_parameter_table_is_built_for_them()
    {
        // Found by fuzzing: the table of 2^31 layers' parameters took 22 GB before the process was killed.
        var e = Rejected(ModelWithConfig("gpt2", c => { c["n_layer"] = int.MaxValue; return c.ToJsonString(); }));
        Assert.Contains($"n_layer is {int.MaxValue}", e.Message);
    }

    [Fact]
    public void A_field_given_twice()
    {
        // JsonObject accepts the duplicate and throws ArgumentException when first read (found by fuzzing).
        var e = Rejected(ModelWithConfig("gpt2", c => c.ToJsonString()[..^1] + ",\"vocab_size\":5}"));
        Assert.Contains("is not valid JSON", e.Message);
        Assert.Contains("vocab_size", e.Message);
    }

    [Fact]
    public void JSON_that_is_not_an_object()
    {
        var e = Rejected(ModelWithConfig("gpt2", c => "[" + c.ToJsonString() + "]"));
        Assert.Contains("is not a JSON object", e.Message);
    }
}
