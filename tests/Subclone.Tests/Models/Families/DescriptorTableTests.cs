using System.Text.Json.Nodes;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Models.Families;
using Subclone.Tests.Support;

namespace Subclone.Tests.Models.Families;

/// <summary>
/// Every family's module against its descriptor's table: the same names, shapes and order, an init rule and a layout
/// for every parameter whose axis roles match its dimensions, and the same parameter count, for each config variant
/// that switches a table row on or off. A new family must add its tiny configs here, or the first test fails.
/// </summary>
public class DescriptorTableTests
{
    static JsonObject Decoder(string modelType) => new()
    {
        ["model_type"] = modelType, ["hidden_size"] = 24, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 4,
        ["num_key_value_heads"] = 2, ["head_dim"] = 8, ["intermediate_size"] = 20, ["vocab_size"] = 30,
        ["max_position_embeddings"] = 16, ["tie_word_embeddings"] = false,
    };

    static JsonObject With(JsonObject json, params (string Key, JsonNode? Value)[] changes)
    {
        foreach (var (key, value) in changes) json[key] = value;
        return json;
    }

    /// <summary>Tiny configs per model_type: each variant flips rows of the table (biases, tied head, pooler-free BERT is separate).</summary>
    static readonly Dictionary<string, JsonObject[]> Configs = new()
    {
        ["gpt2"] = [TinyModels.Gpt2Config(), With(TinyModels.Gpt2Config(), ("tie_word_embeddings", false), ("n_inner", 40))],
        ["llama"] = [Decoder("llama"), With(Decoder("llama"), ("attention_bias", true), ("mlp_bias", true), ("tie_word_embeddings", true))],
        ["mistral"] = [Decoder("mistral")],
        ["qwen2"] = [Decoder("qwen2"), With(Decoder("qwen2"), ("tie_word_embeddings", true))],
        ["qwen3"] = [Decoder("qwen3"), With(Decoder("qwen3"), ("attention_bias", true), ("tie_word_embeddings", true))],
        ["olmo2"] = [Decoder("olmo2"), With(Decoder("olmo2"), ("attention_bias", true))],
        ["gemma2"] = [Decoder("gemma2"), With(Decoder("gemma2"), ("attention_bias", true), ("tie_word_embeddings", true))],
        ["gemma3_text"] = [Decoder("gemma3_text"), With(Decoder("gemma3_text"), ("attention_bias", true), ("tie_word_embeddings", true))],
        // Mixtures of experts: per-expert rows, and Qwen3-MoE's dense blocks (mlp_only_layers, decoder_sparse_step).
        ["mixtral"] = [With(Decoder("mixtral"), ("num_local_experts", 3), ("num_experts_per_tok", 2))],
        ["qwen3_moe"] =
        [
            With(Decoder("qwen3_moe"), ("num_experts", 4), ("num_experts_per_tok", 2), ("moe_intermediate_size", 12), ("mlp_only_layers", new JsonArray(1))),
            With(Decoder("qwen3_moe"), ("num_experts", 4), ("num_experts_per_tok", 1), ("moe_intermediate_size", 12), ("decoder_sparse_step", 2)),
        ],
        ["olmoe"] = [With(Decoder("olmoe"), ("head_dim", null), ("num_experts", 4), ("num_experts_per_tok", 2), ("norm_topk_prob", true))],
        ["bert"] =
        [
            new JsonObject
            {
                ["model_type"] = "bert", ["hidden_size"] = 16, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 4,
                ["intermediate_size"] = 20, ["vocab_size"] = 30, ["max_position_embeddings"] = 12,
            },
        ],
        ["vit"] = [TinyModels.VitConfig(), With(TinyModels.VitConfig(), ("qkv_bias", false))],
        ["phi3"] = [Phi3ModelTests.ConfigJson(), With(Phi3ModelTests.ConfigJson(), ("tie_word_embeddings", true))],
        ["gpt_neox"] = [GptNeoXModelTests.ConfigJson(), With(GptNeoXModelTests.ConfigJson(), ("attention_bias", false), ("tie_word_embeddings", true))],
    };

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var type in ModelFamilies.All.SelectMany(f => f.ModelTypes))
            for (int i = 0; i < (Configs.TryGetValue(type, out var configs) ? configs.Length : 1); i++) data.Add(type, i);
        return data;
    }

    [Fact]
    public void Every_registered_model_type_has_tiny_configs_here_and_one_family()
    {
        var types = ModelFamilies.All.SelectMany(f => f.ModelTypes).ToList();
        Assert.Equal(types.Distinct().Count(), types.Count);
        Assert.Empty(types.Except(Configs.Keys));
        foreach (var type in types) Assert.Contains(type, ModelFamilies.Find(type)!.ModelTypes);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_module_has_exactly_the_tables_parameters(string modelType, int variant)
    {
        var config = ModelConfig.Parse((JsonObject)Configs[modelType][variant].DeepClone(), $"{modelType} config");
        var family = config.Family;
        Assert.Same(ModelFamilies.Find(modelType), family);
        using var model = TransformerModel.Create(config, seed: 1);

        var built = model.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToList();
        var table = family.Shapes(config).Select(s => (s.Name, string.Join("x", s.Shape))).ToList();
        Assert.Equal(built, table);
        Assert.Equal(model.ParameterCount(), family.ParameterCount(config));

        foreach (var (name, tensor) in model.state_dict())
        {
            var row = family.RowFor(config, name);
            Assert.NotNull(row);
            var layout = ParameterLayout.For(config, name);
            Assert.Equal(tensor.dim(), layout.Axes.Length);
            for (int axis = 0; axis < layout.Axes.Length; axis++)
                if (layout.Axes[axis].Extent(config) is long extent)
                    Assert.True(extent == tensor.shape[axis], $"{name} axis {axis}: role {layout.Axes[axis]} spans {extent}, the tensor {tensor.shape[axis]}");
            if (layout.InputAxis is int input) Assert.NotEqual(AxisRole.Whole, layout.Axes[input]);
            // HF's rules: constants (norm weights one, biases zero) for the 1-D rows, N(0, σ) for matrices and tables.
            Assert.Equal(tensor.dim() == 1, TransformerModel.InitFor(config, name).Std is null);
        }
        if (family.OptionalPart is { } optional)
        {
            using var without = family.CreateModel(config, withOptionalPart: false);
            Assert.Equal(without.state_dict().Keys, family.Shapes(config, withOptionalPart: false).Select(s => s.Name));
            Assert.DoesNotContain(without.state_dict().Keys, k => k.Contains(optional, StringComparison.Ordinal));
        }
        // The streaming block prefix names block 1's parameters.
        Assert.Contains(built, p => p.Key.StartsWith(family.BlockPrefixAt(1), StringComparison.Ordinal));
    }
}
