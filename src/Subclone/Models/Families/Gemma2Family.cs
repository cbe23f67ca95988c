using System.Text.Json.Nodes;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma2ForCausalLM: (1+w) RMSNorm sandwiches around attention and the GeGLU MLP, embeddings × √hidden, soft-capped
/// attention scores and logits, query_pre_attn_scalar, sliding windows on even layers, a tied head.
/// Gemma 3 text is its variant: <see cref="Gemma3Family"/>.
/// </summary>
public static class Gemma2Family
{
    static readonly AxisRole R = AxisRole.Residual, H = AxisRole.Heads, KV = AxisRole.KvHeads, F = AxisRole.Ffn;
    static bool AttentionBias(ModelConfig c) => c.AttentionBias;
    static bool QkNorm(ModelConfig c) => GemmaOptions.Of(c).QkNorm;
    const string Block = "model.layers.{layer}.";

    /// <summary>A (1+w) norm over the residual width: HF zero-initialises it, which is a unit scale.</summary>
    static ParameterRow ResidualNorm(string name) => Vector(name, R, ParameterInit.Zero);

    /// <summary>Gemma 3's q_norm / k_norm: one head_dim-wide (1+w) scale shared by every head, so never cut.</summary>
    static ParameterRow HeadDimNorm(string name) =>
        new ParameterRow(name, c => [c.HeadDim], new([AxisRole.Whole]), _ => ParameterInit.Zero) { When = QkNorm };

    /// <summary>Gemma 2's descriptor; Gemma 3's derives from it with <c>with</c>.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "Gemma 2", ModelTypes = ["gemma2"], ClassName = "Gemma2ForCausalLM", Kind = FamilyKind.Decoder,
        Keys = ConfigKeys.Standard with
        {
            KvHeads = "num_key_value_heads", HeadDim = "head_dim", NormEps = "rms_norm_eps", Activation = "hidden_activation",
        },
        BlockPrefix = Block,
        FreeHeadDim = true, PrependsBos = true, TiedHeadDefault = true,
        Options = GemmaOptions.Gemma2,
        Parameters =
        [
            Embedding("model.embed_tokens.weight", c => c.Vocab),
            ResidualNorm(Block + "input_layernorm.weight"),
            .. Linear(Block + "self_attn.q_proj", H, R, AttentionBias),
            .. Linear(Block + "self_attn.k_proj", KV, R, AttentionBias),
            .. Linear(Block + "self_attn.v_proj", KV, R, AttentionBias),
            .. Linear(Block + "self_attn.o_proj", R, H, AttentionBias),
            HeadDimNorm(Block + "self_attn.q_norm.weight"),
            HeadDimNorm(Block + "self_attn.k_norm.weight"),
            ResidualNorm(Block + "post_attention_layernorm.weight"),
            ResidualNorm(Block + "pre_feedforward_layernorm.weight"),
            .. Linear(Block + "mlp.gate_proj", F, R),
            .. Linear(Block + "mlp.up_proj", F, R),
            .. Linear(Block + "mlp.down_proj", R, F),
            ResidualNorm(Block + "post_feedforward_layernorm.weight"),
            ResidualNorm("model.norm.weight"),
            Head("lm_head.weight", c => c.Vocab) with { When = c => !c.TieWordEmbeddings },
        ],
        Parse = Parse, WriteConfig = Write, Validate = Validate, ParseValidated = WithRope,
        CanonicalName = (c, key) => key == "lm_head.weight" && c.TieWordEmbeddings ? null : key,
        Create = (c, _) => new Gemma2Model(c),
        Blockwise = c => new Gemma2Model.Blockwise(c),
        PerLayerFields = [new GemmaLayerTypes()],
        Correction = GemmaEmbeddingCorrection.Factor,
        Gguf = GemmaGguf.Gemma2,
        ImplementedFields =
        [
            "hidden_activation", "query_pre_attn_scalar", "attn_logit_softcapping", "final_logit_softcapping", "sliding_window",
            "layer_types", "sliding_window_pattern", "rope_local_base_freq", "rope_scaling", "rope_parameters", "use_bidirectional_attention",
        ],
    };

    /// <summary>Reads Gemma2Config / Gemma3TextConfig's shape fields with the variant's defaults. HF reads
    /// hidden_activation; hidden_act is a legacy key its Gemma 2 and 3 modules never read.</summary>
    public static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        var options = family.Options as GemmaOptions ?? GemmaOptions.Gemma2;
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        var config = new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads,
            KvHeads = r.OptionalInt("num_key_value_heads") ?? heads,
            HeadDim = r.OptionalInt("head_dim") ?? 256,
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"),
            MaxPositions = r.OptionalInt("max_position_embeddings") ?? options.MaxPositionsDefault,
            NormEps = r.OptionalDouble("rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? family.TiedHeadDefault,
            RopeTheta = r.OptionalDouble("rope_theta") ?? options.RopeThetaDefault,
            AttentionBias = r.OptionalBool("attention_bias") ?? false,
            Activation = r.OptionalString("hidden_activation") ?? "gelu_pytorch_tanh",
        };
        return config;
    }

    /// <summary>The rope, read once the shape is valid. Gemma 3's v5 rope_parameters are keyed by layer type; the
    /// config's own rope is the full-attention layers' (sliding layers': <see cref="GemmaSettings.LocalRope"/>).</summary>
    static ModelConfig WithRope(ModelConfig c, string path)
    {
        var rope = RopeParametersReader.Read(c.Raw, path, c.HeadDim, c.MaxPositions, GemmaSettings.Full);
        // The reader's default θ is Llama's; Gemma 3's config class defaults to 10⁶.
        if (!c.Raw.ContainsKey("rope_theta") && !c.Raw.ContainsKey("rope_parameters")) rope = rope with { Theta = GemmaOptions.Of(c).RopeThetaDefault };
        return c with { Rope = rope };
    }

    /// <summary>Writes a Gemma config's shape fields back (layer_types is the layer map's, see <see cref="GemmaLayerTypes"/>).</summary>
    public static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["num_key_value_heads"] = c.KvHeads; json["head_dim"] = c.HeadDim; json["intermediate_size"] = c.Ffn;
        json["vocab_size"] = c.Vocab; json["max_position_embeddings"] = c.MaxPositions; json["rms_norm_eps"] = c.NormEps;
        if (!json.ContainsKey("rope_parameters")) json["rope_theta"] = c.RopeTheta;  // v5 keeps θ inside rope_parameters
        json["hidden_activation"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
        json["attention_bias"] = c.AttentionBias;
    }

    /// <summary>Even head_dim for RoPE, and the Gemma fields (<see cref="GemmaSettings"/>), as config.json's errors.</summary>
    static void Validate(ModelConfig c, string path)
    {
        if (c.HeadDim > 0 && c.HeadDim % 2 != 0)
            throw new CheckpointException(path, $"field 'head_dim' ({c.HeadDim}) must be even for rotary embeddings");
        GemmaSettings.Of(c, path);
    }
}
