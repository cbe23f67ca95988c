using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>
/// LlamaForCausalLM: RMSNorm, rotary positions, grouped KV heads, a gated SiLU MLP and a head_dim free of
/// hidden / heads. Mistral and Qwen2 are variants: <see cref="MistralFamily"/>, <see cref="Qwen2Family"/>.
/// </summary>
public static class LlamaFamily
{
    static readonly AxisRole R = AxisRole.Residual, H = AxisRole.Heads, KV = AxisRole.KvHeads, F = AxisRole.Ffn;
    static bool AttentionBias(ModelConfig c) => c.AttentionBias;
    static bool OutputBias(ModelConfig c) => c.AttentionBias && !LlamaOptions.Of(c).QkvBiasOnly;
    static bool MlpBias(ModelConfig c) => c.MlpBias;
    const string Block = "model.layers.{layer}.";

    /// <summary>Llama's descriptor; variants derive theirs from it with <c>with</c>.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "Llama", ModelTypes = ["llama"], ClassName = "LlamaForCausalLM", Kind = FamilyKind.Decoder,
        Keys = ConfigKeys.Standard with { KvHeads = "num_key_value_heads", HeadDim = "head_dim", NormEps = "rms_norm_eps" },
        BlockPrefix = Block,
        FreeHeadDim = true, PrependsBos = true, TiedHeadDefault = false,
        Options = LlamaOptions.Llama,
        Parameters =
        [
            Embedding("model.embed_tokens.weight", c => c.Vocab),
            .. Norm(Block + "input_layernorm", withBias: false),
            .. Linear(Block + "self_attn.q_proj", H, R, AttentionBias),
            .. Linear(Block + "self_attn.k_proj", KV, R, AttentionBias),
            .. Linear(Block + "self_attn.v_proj", KV, R, AttentionBias),
            .. Linear(Block + "self_attn.o_proj", R, H, OutputBias),
            .. Norm(Block + "post_attention_layernorm", withBias: false),
            .. Linear(Block + "mlp.gate_proj", F, R, MlpBias),
            .. Linear(Block + "mlp.up_proj", F, R, MlpBias),
            .. Linear(Block + "mlp.down_proj", R, F, MlpBias),
            .. Norm("model.norm", withBias: false),
            Head("lm_head.weight", c => c.Vocab) with { When = c => !c.TieWordEmbeddings },
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = CanonicalKey, Validate = EvenHeadDim,
        Create = (c, _) => new LlamaModel(c),
        Blockwise = c => new BlockwiseForward.Llama(c),
        Gguf = LlamaGguf.Llama,
    };

    /// <summary>Reads a Llama-family config.json (the variant's options decide its biases).</summary>
    public static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        var options = family.Options as LlamaOptions ?? LlamaOptions.Llama;
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        return new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads,
            KvHeads = r.OptionalInt("num_key_value_heads") ?? heads,
            HeadDim = r.OptionalInt("head_dim") ?? (heads > 0 && hidden % heads == 0 ? hidden / heads : 0),
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? 2048,
            NormEps = r.OptionalDouble("rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? family.TiedHeadDefault,
            RopeTheta = r.OptionalDouble("rope_theta") ?? 10000,
            AttentionBias = options.QkvBiasOnly || (r.OptionalBool("attention_bias") ?? false),
            MlpBias = r.OptionalBool("mlp_bias") ?? false,
            Activation = r.OptionalString("hidden_act") ?? "silu",
        };
    }

    /// <summary>Writes a Llama-family config's shape fields (only the bias keys the variant's config class has).</summary>
    public static void Write(ModelConfig c, JsonObject json)
    {
        var options = LlamaOptions.Of(c);
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["num_key_value_heads"] = c.KvHeads; json["head_dim"] = c.HeadDim; json["intermediate_size"] = c.Ffn;
        json["vocab_size"] = c.Vocab; json["max_position_embeddings"] = c.MaxPositions; json["rms_norm_eps"] = c.NormEps;
        json["rope_theta"] = c.RopeTheta; json["hidden_act"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
        if (options.HasAttentionBiasKey) json["attention_bias"] = c.AttentionBias;
        if (options.HasMlpBiasKey) json["mlp_bias"] = c.MlpBias;
    }

    static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".rotary_emb.inv_freq")) return null;  // a buffer older checkpoints saved
        if (fileKey == "lm_head.weight" && c.TieWordEmbeddings) return null;
        return fileKey;
    }

    static void EvenHeadDim(ModelConfig c, string path)
    {
        if (c.HeadDim > 0 && c.HeadDim % 2 != 0) throw new CheckpointException(path, $"field 'head_dim' ({c.HeadDim}) must be even for rotary embeddings");
    }
}
