using System.Text.Json.Nodes;
using Subclone.Models;

namespace Subclone.Checkpoints.Llama2c;

/// <summary>The Hugging Face LlamaForCausalLM config.json a llama2.c checkpoint corresponds to.</summary>
public static class Llama2cConfig
{
    /// <summary>The config for a llama2.c checkpoint of shape <paramref name="s"/>; <paramref name="origin"/> names it in errors.</summary>
    public static ModelConfig For(Llama2cShape s, string origin) => ModelConfig.Parse(new JsonObject
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"),
        ["model_type"] = "llama",
        ["hidden_size"] = s.Hidden,
        ["intermediate_size"] = s.Ffn,
        ["num_hidden_layers"] = s.Layers,
        ["num_attention_heads"] = s.Heads,
        ["num_key_value_heads"] = s.KvHeads,
        ["head_dim"] = s.Hidden / s.Heads,
        ["vocab_size"] = s.Vocab,
        ["max_position_embeddings"] = s.MaxPositions,
        ["rms_norm_eps"] = s.RmsNormEps,
        ["rope_theta"] = s.RopeTheta,
        ["hidden_act"] = "silu",
        ["tie_word_embeddings"] = s.TieWordEmbeddings,
        ["attention_bias"] = false,
        ["mlp_bias"] = false,
        ["initializer_range"] = 0.02,
        // llama2.c's tokenizers use 1 for BOS and 2 for EOS.
        ["bos_token_id"] = 1,
        ["eos_token_id"] = 2,
    }, origin);

    /// <summary>Imports a llama2.c .bin as a float32 Llama model.</summary>
    public static TransformerModel Load(string binPath)
    {
        using var imported = Llama2cImporter.Import(binPath);
        return HfCheckpoint.FromTensors(For(imported.Shape, binPath), imported.Tensors, binPath);
    }
}
