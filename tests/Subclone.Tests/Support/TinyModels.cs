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

    public static TransformerModel Gpt2() => TransformerModel.Create(ModelConfig.Parse(Gpt2Config(), "tiny gpt2 config"));

    public static TransformerModel Llama() => TransformerModel.Create(ModelConfig.Parse(LlamaConfig(), "tiny llama config"));
}
