using System.Text.Json.Nodes;
using Subclone.Checkpoints;

namespace Subclone.Models.Families;

/// <summary>Phi3Config's fields (HF's configuration_phi3.py) read into the neutral shape, and Phi-3's parameter table.</summary>
internal static class Phi3Config
{
    /// <summary>The neutral shape of a phi3 config.json; Phi-3 has no head_dim field (head_dim = hidden / heads).</summary>
    public static ModelConfig Parse(ConfigReader r, JsonObject json, string path)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int headDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0;
        if (r.OptionalInt("head_dim") is int given && given != headDim)
            throw new CheckpointException(path, $"field 'head_dim' ({given}) differs from hidden_size / num_attention_heads ({headDim}), which Phi-3 uses");
        RopeFields.RefuseScaling(json, path);
        if (headDim > 0) Phi3Settings.Read(json, headDim, path);
        return new ModelConfig
        {
            Architecture = Architecture.Phi3, ModelType = "phi3",
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads,
            KvHeads = r.OptionalInt("num_key_value_heads") ?? heads, HeadDim = headDim,
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? 4096,
            NormEps = r.OptionalDouble("rms_norm_eps") ?? 1e-5,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? false,
            RopeTheta = RopeFields.Theta(r, json, path, "rope_theta"),
            Activation = r.OptionalString("hidden_act") ?? "silu",
        };
    }

    /// <summary>Writes the shape fields into a config.json being saved; the rest stays as the parent had it.</summary>
    public static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["num_key_value_heads"] = c.KvHeads; json["intermediate_size"] = c.Ffn; json["vocab_size"] = c.Vocab;
        json["max_position_embeddings"] = c.MaxPositions; json["rms_norm_eps"] = c.NormEps;
        json["hidden_act"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
    }

    /// <summary>HF's _init_weights: norms one, everything else N(0, initializer_range); no biases.</summary>
    public static ParameterInit InitRule(ModelConfig c, string name) =>
        ParameterInit.Standard(name, isNorm: name.EndsWith("norm.weight"), std: c.InitializerRange);

    /// <summary>The parameter a checkpoint tensor stands for; null for a tied head stored anyway and old rotary buffers.</summary>
    public static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".rotary_emb.inv_freq")) return null;
        if (fileKey == "lm_head.weight" && c.TieWordEmbeddings) return null;
        return fileKey;
    }

    /// <summary>Phi3ForCausalLM's state_dict names and shapes, in order.</summary>
    public static IEnumerable<ParameterShape> Shapes(ModelConfig c)
    {
        long d = c.Hidden, q = (long)c.Heads * c.HeadDim, kv = (long)c.KvHeads * c.HeadDim, f = c.Ffn;
        yield return new("model.embed_tokens.weight", [c.Vocab, d]);
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"model.layers.{i}.";
            yield return new(p + "input_layernorm.weight", [d]);
            yield return new(p + "self_attn.qkv_proj.weight", [q + 2 * kv, d]);
            yield return new(p + "self_attn.o_proj.weight", [d, q]);
            yield return new(p + "post_attention_layernorm.weight", [d]);
            yield return new(p + "mlp.gate_up_proj.weight", [2 * f, d]);
            yield return new(p + "mlp.down_proj.weight", [d, f]);
        }
        yield return new("model.norm.weight", [d]);
        if (!c.TieWordEmbeddings) yield return new("lm_head.weight", [c.Vocab, d]);
    }
}
