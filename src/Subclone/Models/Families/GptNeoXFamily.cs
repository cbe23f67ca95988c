using System.Text.Json.Nodes;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>
/// GPTNeoXForCausalLM (GPT-NeoX, Pythia): LayerNorms and linear layers with biases, q/k/v fused per head in
/// <c>query_key_value</c> ([heads, 3, head_dim] on its output axis), rotary embeddings on the first
/// <c>rotary_pct</c> of each head, a parallel (or sequential) residual and an untied <c>embed_out</c> head.
/// Module: <see cref="GptNeoXModel"/>.
/// </summary>
public static class GptNeoXFamily
{
    static readonly AxisRole R = AxisRole.Residual, H = AxisRole.Heads, F = AxisRole.Ffn;
    static bool Always(ModelConfig c) => true;
    static bool AttentionBias(ModelConfig c) => c.AttentionBias;
    const string Block = "gpt_neox.layers.{layer}.";

    /// <summary>GPT-NeoX's descriptor.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "GPT-NeoX", ModelTypes = ["gpt_neox"], ClassName = "GPTNeoXForCausalLM", Kind = FamilyKind.Decoder,
        Keys = ConfigKeys.Standard,
        BlockPrefix = Block,
        PrependsBos = false, TiedHeadDefault = false,  // GPTNeoXTokenizer adds no BOS
        Parameters =
        [
            Embedding("gpt_neox.embed_in.weight", c => c.Vocab),
            .. Norm(Block + "input_layernorm", withBias: true),
            .. Norm(Block + "post_attention_layernorm", withBias: true),
            .. Linear(Block + "attention.query_key_value", AxisRole.PerHeadInterleaved(3), R, AttentionBias),
            .. Linear(Block + "attention.dense", R, H, AttentionBias),
            .. Linear(Block + "mlp.dense_h_to_4h", F, R, Always),
            .. Linear(Block + "mlp.dense_4h_to_h", R, F, Always),
            .. Norm("gpt_neox.final_layer_norm", withBias: true),
            Head("embed_out.weight", c => c.Vocab) with { When = c => !c.TieWordEmbeddings },
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = CanonicalKey, ParseValidated = ReadRope,
        Gguf = GptNeoXGguf.Mapping,
        Create = (c, _) => new GptNeoXModel(c),
        Blockwise = c => new GptNeoXBlockwise(c),
        ImplementedFields = ["rotary_pct", "partial_rotary_factor", "use_parallel_residual"],  // rope_scaling: Models/Rotary
    };

    /// <summary>use_parallel_residual (HF default true): x + attn(ln1(x)) + mlp(ln2(x)) rather than two residual steps.</summary>
    public static bool ParallelResidual(ModelConfig config) =>
        new ConfigReader(config.Raw, "config.json").OptionalBool("use_parallel_residual") ?? true;

    static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int headDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0;
        int maxPositions = r.OptionalInt("max_position_embeddings") ?? 2048;
        r.OptionalBool("use_parallel_residual");  // read now so a malformed value is the config's error at load
        return new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads, KvHeads = heads, HeadDim = headDim,
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"), MaxPositions = maxPositions,
            NormEps = r.OptionalDouble("layer_norm_eps") ?? 1e-5,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? family.TiedHeadDefault,
            AttentionBias = r.OptionalBool("attention_bias") ?? true, MlpBias = true,
            Activation = r.OptionalString("hidden_act") ?? "gelu",
        };
    }

    /// <summary>The rotary embedding, read once the shape is known to be valid. GPTNeoXConfig's rotary_pct
    /// (v5: rope_parameters.partial_rotary_factor) defaults to 0.25, and θ is rotary_emb_base.</summary>
    static ModelConfig ReadRope(ModelConfig c, string path)
    {
        var rope = RopeParametersReader.Read(c.Raw, path, c.HeadDim, c.MaxPositions, defaultPartialRotaryFactor: 0.25);
        return c with { Rope = rope, RopeTheta = rope.Theta };
    }

    static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["intermediate_size"] = c.Ffn; json["vocab_size"] = c.Vocab; json["max_position_embeddings"] = c.MaxPositions;
        json["layer_norm_eps"] = c.NormEps; json["hidden_act"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
    }

    /// <summary>Older transformers saved the causal-mask and rotary buffers; a tied head stored anyway is the embedding.</summary>
    static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".attention.bias") || fileKey.EndsWith(".attention.masked_bias") || fileKey.EndsWith(".rotary_emb.inv_freq"))
            return null;
        if (fileKey == "embed_out.weight" && c.TieWordEmbeddings) return null;
        return fileKey;
    }
}
