using System.Text.Json.Nodes;

namespace Subclone.Models.Families;

/// <summary>GPTNeoXConfig's fields (HF's configuration_gpt_neox.py) read into the neutral shape, and GPT-NeoX's parameter table.</summary>
internal static class GptNeoXConfig
{
    /// <summary>The neutral shape of a gpt_neox config.json: no GQA, head_size = hidden / heads.</summary>
    public static ModelConfig Parse(ConfigReader r, JsonObject json, string path)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int headDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0;
        RopeFields.RefuseScaling(json, path);
        if (headDim > 0) GptNeoXSettings.Read(json, headDim, path);
        return new ModelConfig
        {
            Architecture = Architecture.GptNeoX, ModelType = "gpt_neox",
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads, KvHeads = heads, HeadDim = headDim,
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? 2048,
            NormEps = r.OptionalDouble("layer_norm_eps") ?? 1e-5,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? false,
            RopeTheta = RopeFields.Theta(r, json, path, "rotary_emb_base"),
            AttentionBias = r.OptionalBool("attention_bias") ?? true, MlpBias = true,
            Activation = r.OptionalString("hidden_act") ?? "gelu",
        };
    }

    /// <summary>Writes the shape fields into a config.json being saved; the rest stays as the parent had it.</summary>
    public static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["intermediate_size"] = c.Ffn; json["vocab_size"] = c.Vocab; json["max_position_embeddings"] = c.MaxPositions;
        json["layer_norm_eps"] = c.NormEps; json["hidden_act"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
    }

    /// <summary>HF's _init_weights: biases zero, LayerNorms one, every matrix and embedding N(0, initializer_range).</summary>
    public static ParameterInit InitRule(ModelConfig c, string name) =>
        ParameterInit.Standard(name, isNorm: name.Contains("layernorm.") || name.Contains("layer_norm."), std: c.InitializerRange);

    /// <summary>The parameter a checkpoint tensor stands for; null for the causal-mask and rotary buffers older
    /// transformers saved, and for a tied head stored anyway.</summary>
    public static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".attention.bias") || fileKey.EndsWith(".attention.masked_bias") || fileKey.EndsWith(".rotary_emb.inv_freq"))
            return null;
        if (fileKey == "embed_out.weight" && c.TieWordEmbeddings) return null;
        return fileKey;
    }

    /// <summary>GPTNeoXForCausalLM's state_dict names and shapes, in order.</summary>
    public static IEnumerable<ParameterShape> Shapes(ModelConfig c)
    {
        long d = c.Hidden, width = (long)c.Heads * c.HeadDim, f = c.Ffn;
        yield return new("gpt_neox.embed_in.weight", [c.Vocab, d]);
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"gpt_neox.layers.{i}.";
            foreach (string norm in new[] { "input_layernorm", "post_attention_layernorm" })
            {
                yield return new(p + norm + ".weight", [d]);
                yield return new(p + norm + ".bias", [d]);
            }
            yield return new(p + "attention.query_key_value.weight", [3 * width, d]);
            if (c.AttentionBias) yield return new(p + "attention.query_key_value.bias", [3 * width]);
            yield return new(p + "attention.dense.weight", [d, width]);
            if (c.AttentionBias) yield return new(p + "attention.dense.bias", [d]);
            yield return new(p + "mlp.dense_h_to_4h.weight", [f, d]);
            yield return new(p + "mlp.dense_h_to_4h.bias", [f]);
            yield return new(p + "mlp.dense_4h_to_h.weight", [d, f]);
            yield return new(p + "mlp.dense_4h_to_h.bias", [d]);
        }
        yield return new("gpt_neox.final_layer_norm.weight", [d]);
        yield return new("gpt_neox.final_layer_norm.bias", [d]);
        if (!c.TieWordEmbeddings) yield return new("embed_out.weight", [c.Vocab, d]);
    }
}
