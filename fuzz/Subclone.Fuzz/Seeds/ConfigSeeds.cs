using System.Text;
using System.Text.Json.Nodes;

namespace Subclone.Fuzz;

/// <summary>config.json of each supported family. Only the GPT-2 one fits the config target's fixed weights; the others
/// are parsed and validated and then refused for their tensors, which is as deep as a config alone goes.</summary>
internal static class ConfigSeeds
{
    public static IEnumerable<Seed> All()
    {
        yield return Config("valid-gpt2.json", ConfigTarget.Gpt2Config());
        yield return Config("llama-gqa.json", new JsonObject
        {
            ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"), ["hidden_size"] = 8,
            ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["head_dim"] = 2, ["num_hidden_layers"] = 2,
            ["intermediate_size"] = 16, ["vocab_size"] = 8, ["max_position_embeddings"] = 16, ["rms_norm_eps"] = 1e-5,
            ["rope_theta"] = 10000.0, ["hidden_act"] = "silu", ["tie_word_embeddings"] = false, ["attention_bias"] = false,
            ["mlp_bias"] = false, ["bos_token_id"] = 1, ["eos_token_id"] = 2,
        });
        yield return Config("qwen2.json", new JsonObject
        {
            ["model_type"] = "qwen2", ["hidden_size"] = 8, ["num_attention_heads"] = 2, ["num_key_value_heads"] = 1,
            ["num_hidden_layers"] = 1, ["intermediate_size"] = 16, ["vocab_size"] = 8, ["tie_word_embeddings"] = true,
        });
        yield return Config("mistral.json", new JsonObject
        {
            ["model_type"] = "mistral", ["hidden_size"] = 8, ["num_attention_heads"] = 2, ["num_hidden_layers"] = 1,
            ["intermediate_size"] = 16, ["vocab_size"] = 8, ["sliding_window"] = 4096,
        });
        yield return Config("bert.json", new JsonObject
        {
            ["model_type"] = "bert", ["architectures"] = new JsonArray("BertModel"), ["hidden_size"] = 8,
            ["num_attention_heads"] = 2, ["num_hidden_layers"] = 1, ["intermediate_size"] = 16, ["vocab_size"] = 8,
            ["max_position_embeddings"] = 16, ["type_vocab_size"] = 2, ["layer_norm_eps"] = 1e-12, ["hidden_act"] = "gelu",
        });
        yield return Config("vit.json", new JsonObject
        {
            ["model_type"] = "vit", ["architectures"] = new JsonArray("ViTForImageClassification"), ["hidden_size"] = 8,
            ["num_attention_heads"] = 2, ["num_hidden_layers"] = 1, ["intermediate_size"] = 16, ["image_size"] = 8,
            ["patch_size"] = 4, ["num_channels"] = 3, ["qkv_bias"] = true,
            ["id2label"] = new JsonObject { ["0"] = "cat", ["1"] = "dog" }, ["label2id"] = new JsonObject { ["cat"] = 0, ["dog"] = 1 },
        });
    }

    static Seed Config(string name, JsonObject json) => new("config", name, Encoding.UTF8.GetBytes(json.ToJsonString()));
}
