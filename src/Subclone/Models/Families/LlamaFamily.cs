using System.Text.Json.Nodes;
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
    static LlamaOptions Options(ModelConfig c) => LlamaOptions.Of(c);
    static bool PreNorms(ModelConfig c) => !Options(c).PostSublayerNorms;
    static bool PostNorms(ModelConfig c) => Options(c).PostSublayerNorms;
    static bool PerHead(ModelConfig c) => Options(c).QkNorm == QkNorm.PerHead;
    static bool FullWidth(ModelConfig c) => Options(c).QkNorm == QkNorm.FullWidth;

    /// <summary>Qwen3's q_norm / k_norm: one head_dim-wide scale shared by every head, so never cut.</summary>
    static ParameterRow HeadDimNorm(string name) =>
        new ParameterRow(name, c => [c.HeadDim], new([AxisRole.Whole]), _ => ParameterInit.One) { When = PerHead };
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
            .. Norm(Block + "input_layernorm", withBias: false).Select(r => r.OnlyWhen(PreNorms)),
            .. Linear(Block + "self_attn.q_proj", H, R, AttentionBias),
            .. Linear(Block + "self_attn.k_proj", KV, R, AttentionBias),
            .. Linear(Block + "self_attn.v_proj", KV, R, AttentionBias),
            .. Linear(Block + "self_attn.o_proj", R, H, OutputBias),
            HeadDimNorm(Block + "self_attn.q_norm.weight"),
            HeadDimNorm(Block + "self_attn.k_norm.weight"),
            // OLMo 2's norms span the projection and are cut with its heads.
            Vector(Block + "self_attn.q_norm.weight", H, ParameterInit.One) with { When = FullWidth },
            Vector(Block + "self_attn.k_norm.weight", KV, ParameterInit.One) with { When = FullWidth },
            .. Norm(Block + "post_attention_layernorm", withBias: false),
            .. Linear(Block + "mlp.gate_proj", F, R, MlpBias),
            .. Linear(Block + "mlp.up_proj", F, R, MlpBias),
            .. Linear(Block + "mlp.down_proj", R, F, MlpBias),
            .. Norm(Block + "post_feedforward_layernorm", withBias: false).Select(r => r.OnlyWhen(PostNorms)),
            .. Norm("model.norm", withBias: false),
            Head("lm_head.weight", c => c.Vocab) with { When = c => !c.TieWordEmbeddings },
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = CanonicalKey, Validate = Validate,
        ParseValidated = (c, path) => c with { Rope = RopeParametersReader.Read(c.Raw, path, c.HeadDim, c.MaxPositions) },
        Create = (c, _) => new LlamaModel(c),
        Blockwise = c => new BlockwiseForward.Llama(c),
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
            HeadDim = r.OptionalInt("head_dim") ?? options.HeadDimDefault ?? (heads > 0 && hidden % heads == 0 ? hidden / heads : 0),
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? options.MaxPositionsDefault,
            NormEps = r.OptionalDouble("rms_norm_eps") ?? options.NormEpsDefault,
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
        json["hidden_act"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
        if (!json.ContainsKey("rope_parameters")) json["rope_theta"] = c.RopeTheta;  // v5 keeps θ inside rope_parameters
        if (options.HasAttentionBiasKey) json["attention_bias"] = c.AttentionBias;
        if (options.HasMlpBiasKey) json["mlp_bias"] = c.MlpBias;
    }

    static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".rotary_emb.inv_freq")) return null;  // a buffer older checkpoints saved
        if (fileKey == "lm_head.weight" && c.TieWordEmbeddings) return null;
        return fileKey;
    }

    static void Validate(ModelConfig c, string path)
    {
        if (c.HeadDim > 0 && c.HeadDim % 2 != 0) throw new CheckpointException(path, $"field 'head_dim' ({c.HeadDim}) must be even for rotary embeddings");
        var options = LlamaOptions.Of(c);
        var r = new ConfigReader(c.Raw, path);
        if (options.SlidingWindows != SlidingWindows.None && r.OptionalInt("sliding_window") is int window && window <= 0)
            throw new CheckpointException(path, $"field 'sliding_window' must be positive, got {window}");
        if (options.SlidingWindows == SlidingWindows.Switched && c.Raw["layer_types"] is { } types)
        {
            if (types is not JsonArray list || list.Count != c.Layers
                || list.Any(t => t is not JsonValue v || v.GetValueKind() != System.Text.Json.JsonValueKind.String
                    || v.GetValue<string>() is not ("full_attention" or "sliding_attention")))
                throw new CheckpointException(path, $"field 'layer_types' must list full_attention or sliding_attention for each of the {c.Layers} layers");
        }
    }

    /// <summary>
    /// The window block <paramref name="layer"/> attends within (keys q − window &lt; k ≤ q, as HF's sliding-window mask),
    /// or null for full causal attention, as the variant's config class decides it.
    /// </summary>
    public static int? SlidingWindow(ModelConfig c, int layer)
    {
        var options = LlamaOptions.Of(c);
        var r = new ConfigReader(c.Raw, "config.json");
        if (options.SlidingWindows == SlidingWindows.None || r.OptionalInt("sliding_window") is not int window) return null;
        if (options.SlidingWindows == SlidingWindows.WhenSet) return window;
        // Qwen2Config / Qwen3Config: sliding_window counts only with use_sliding_window; layer_types (if given) wins over
        // max_window_layers, which otherwise makes the blocks from it on sliding (HF's default 28).
        if (r.OptionalBool("use_sliding_window") != true) return null;
        bool sliding = c.Raw["layer_types"] is JsonArray types
            ? types[layer]!.GetValue<string>() == "sliding_attention"
            : layer >= (r.OptionalInt("max_window_layers") ?? 28);
        return sliding ? window : null;
    }
}
