using System.Text.Json.Nodes;
using Subclone.Models;
using Subclone.Tests.Support;

namespace Subclone.Tests.Streaming;

/// <summary>The config-only parameter tables equal what the built models really have, so checkpoints written
/// and checked from the table load into the model.</summary>
public class ParameterShapeTests
{
    static ModelConfig Config(JsonObject json, params (string Key, JsonNode? Value)[] changes)
    {
        foreach (var (key, value) in changes) json[key] = value;
        return ModelConfig.Parse(json, "config.json");
    }

    static JsonObject Bert() => new()
    {
        ["model_type"] = "bert", ["hidden_size"] = 16, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 2,
        ["intermediate_size"] = 24, ["vocab_size"] = 40, ["max_position_embeddings"] = 12, ["type_vocab_size"] = 3,
    };

    public static TheoryData<string> Configs => new()
    {
        "gpt2", "gpt2 untied", "gpt2 n_inner", "llama", "llama tied", "llama biases", "llama head_dim", "qwen2", "mistral", "bert",
        "vit", "vit without qkv bias",
    };

    static ModelConfig Named(string name) => name switch
    {
        "gpt2" => Config(TinyModels.Gpt2Config()),
        "gpt2 untied" => Config(TinyModels.Gpt2Config(), ("tie_word_embeddings", false)),
        "gpt2 n_inner" => Config(TinyModels.Gpt2Config(), ("n_inner", 40), ("n_layer", 3)),
        "llama" => Config(TinyModels.LlamaConfig()),
        "llama tied" => Config(TinyModels.LlamaConfig(), ("tie_word_embeddings", true)),
        "llama biases" => Config(TinyModels.LlamaConfig(), ("attention_bias", true), ("mlp_bias", true)),
        "llama head_dim" => Config(TinyModels.LlamaConfig(), ("head_dim", 6)),
        "qwen2" => Config(TinyModels.LlamaConfig(), ("model_type", "qwen2")),
        "mistral" => Config(TinyModels.LlamaConfig(), ("model_type", "mistral")),
        "bert" => Config(Bert()),
        "vit" => Config(TinyModels.VitConfig()),
        "vit without qkv bias" => Config(TinyModels.VitConfig(), ("qkv_bias", false), ("num_hidden_layers", 3)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void The_table_lists_every_state_dict_parameter_with_its_shape_in_order(string name)
    {
        var config = Named(name);
        using var model = TransformerModel.Create(config);
        var expected = model.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToList();
        var actual = TransformerModel.ParameterShapes(config).Select(s => (s.Name, string.Join("x", s.Shape))).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void BERT_without_a_pooler_has_no_pooler_rows()
    {
        var config = Named("bert");
        using var model = new BertModel(config, withPooler: false);
        var actual = TransformerModel.ParameterShapes(config, withPooler: false).Select(s => s.Name).ToList();
        Assert.Equal(model.state_dict().Keys.ToList(), actual);
        Assert.DoesNotContain(actual, n => n.StartsWith("pooler."));
    }

    [Fact]
    public void Init_rules_give_zero_biases_unit_norms_and_GPT2s_scaled_residual_projections()
    {
        var gpt2 = Named("gpt2 n_inner");  // 3 layers: c_proj std is 0.02 / √6
        Assert.Equal(ParameterInit.Zero, TransformerModel.InitFor(gpt2, "transformer.h.0.ln_1.bias"));
        Assert.Equal(ParameterInit.One, TransformerModel.InitFor(gpt2, "transformer.ln_f.weight"));
        Assert.Equal(0.02 / Math.Sqrt(6), TransformerModel.InitFor(gpt2, "transformer.h.2.mlp.c_proj.weight").Std!.Value, 12);
        Assert.Equal(0.02, TransformerModel.InitFor(gpt2, "transformer.h.2.mlp.c_fc.weight").Std);

        var llama = Config(TinyModels.LlamaConfig(), ("initializer_range", 0.05));
        Assert.Equal(ParameterInit.One, TransformerModel.InitFor(llama, "model.layers.1.post_attention_layernorm.weight"));
        Assert.Equal(0.05, TransformerModel.InitFor(llama, "model.layers.1.mlp.down_proj.weight").Std);
        Assert.Equal(ParameterInit.One, TransformerModel.InitFor(Named("bert"), "encoder.layer.0.output.LayerNorm.weight"));
        Assert.Equal(ParameterInit.Zero, TransformerModel.InitFor(Named("bert"), "encoder.layer.0.output.LayerNorm.bias"));
    }
}
