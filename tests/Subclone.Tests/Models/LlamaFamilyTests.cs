using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>Mistral and Qwen2 share Llama's layout; Qwen2 adds q/k/v biases (and no o_proj bias).</summary>
public class LlamaFamilyTests
{
    static ModelConfig Config(string modelType) => ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = modelType,
        ["hidden_size"] = 32, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2,
        ["intermediate_size"] = 64, ["vocab_size"] = 50, ["max_position_embeddings"] = 64, ["rms_norm_eps"] = 1e-6,
        ["rope_theta"] = 1000000.0, ["tie_word_embeddings"] = modelType == "qwen2",
    }, "config.json");

    [Theory]
    [InlineData("llama", "LlamaForCausalLM", false)]
    [InlineData("mistral", "MistralForCausalLM", false)]
    [InlineData("qwen2", "Qwen2ForCausalLM", true)]
    public void Family_members_have_HF_parameter_names_and_round_trip(string modelType, string architecture, bool qkvBias)
    {
        var config = Config(modelType);
        var model = TransformerModel.Create(config, seed: 1);
        var names = model.state_dict().Keys.ToHashSet();

        Assert.Equal(architecture, config.ArchitectureName);
        Assert.Contains("model.layers.1.self_attn.k_proj.weight", names);
        Assert.Equal(qkvBias, names.Contains("model.layers.0.self_attn.q_proj.bias"));
        Assert.Equal(qkvBias, names.Contains("model.layers.0.self_attn.v_proj.bias"));
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", names);
        Assert.Equal(!config.TieWordEmbeddings, names.Contains("lm_head.weight"));
        Assert.Equal([16L, 32], model.state_dict()["model.layers.0.self_attn.k_proj.weight"].shape);

        using var dir = new TempDir();
        HfCheckpoint.Save(model, dir["m"], ScalarType.BFloat16);
        var json = JsonNode.Parse(File.ReadAllText(dir["m/config.json"]))!;
        Assert.Equal(modelType, (string?)json["model_type"]);
        Assert.Equal("bfloat16", (string?)json["torch_dtype"]);
        Assert.Equal(1000000.0, (double)json["rope_theta"]!);
        var loaded = HfCheckpoint.Load(dir["m"]);
        Assert.Equal(ScalarType.BFloat16, loaded.StoredDtype);
        using var _ = no_grad();
        var ids = randint(0, 50, [1, 7], generator: new Generator(2));
        var reference = model.Forward(ids);
        // bf16 storage rounds the weights: the reloaded logits are close, not equal.
        Assert.True((loaded.Model.Forward(ids) - reference).abs().max().item<float>() < 0.05);
    }

    [Fact]
    public void Rotary_embeddings_use_rope_theta()
    {
        var (cos1, _) = Rotary.CosSin(8, 16, 10000);
        var (cos2, _) = Rotary.CosSin(8, 16, 1000000);
        // Position 0 is unrotated whatever theta is; later positions rotate more slowly with a larger theta.
        Assert.True(cos1[0].allclose(ones(16)));
        Assert.True(cos2[5, 7].item<float>() > cos1[5, 7].item<float>());
    }
}
