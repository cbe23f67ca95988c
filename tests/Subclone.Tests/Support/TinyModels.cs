using System.Text.Json.Nodes;
using Subclone.Models;

namespace Subclone.Tests.Support;

/// <summary>Randomly initialised models small enough to build in every test, needing no fixture files.</summary>
public static class TinyModels
{
    public static JsonObject Gpt2Config() => new()
    {
        ["model_type"] = "gpt2", ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["n_embd"] = 16, ["n_head"] = 2, ["n_layer"] = 2, ["n_positions"] = 8, ["vocab_size"] = 32,
    };

    public static JsonObject LlamaConfig() => new()
    {
        ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["hidden_size"] = 16, ["num_attention_heads"] = 4, ["num_key_value_heads"] = 2, ["num_hidden_layers"] = 2,
        ["intermediate_size"] = 24, ["vocab_size"] = 32, ["tie_word_embeddings"] = false,
    };

    /// <summary>ViT for 8×8 single-channel images in 2×2 patches (16 patches + [CLS]), 3 classes.</summary>
    public static JsonObject VitConfig() => new()
    {
        ["model_type"] = "vit", ["architectures"] = new JsonArray("ViTForImageClassification"),
        ["hidden_size"] = 16, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 2, ["intermediate_size"] = 24,
        ["image_size"] = 8, ["patch_size"] = 2, ["num_channels"] = 1,
        ["id2label"] = new JsonObject { ["0"] = "zero", ["1"] = "one", ["2"] = "two" },
        ["label2id"] = new JsonObject { ["zero"] = 0, ["one"] = 1, ["two"] = 2 },
    };

    public static TransformerModel Gpt2() => TransformerModel.Create(ModelConfig.Parse(Gpt2Config(), "tiny gpt2 config"), seed: 0);

    public static TransformerModel Llama() => TransformerModel.Create(ModelConfig.Parse(LlamaConfig(), "tiny llama config"), seed: 0);

    public static TransformerModel Vit() => TransformerModel.Create(ModelConfig.Parse(VitConfig(), "tiny vit config"), seed: 0);
}
