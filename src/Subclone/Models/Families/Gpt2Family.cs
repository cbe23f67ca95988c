using System.Text.Json.Nodes;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>GPT2LMHeadModel: learned positions, pre-LayerNorm, fused [q | k | v] in Conv1D layout ([in, out]).</summary>
public static class Gpt2Family
{
    static readonly AxisRole R = AxisRole.Residual, H = AxisRole.Heads, F = AxisRole.Ffn;
    static bool Always(ModelConfig c) => true;

    /// <summary>HF scales the residual projections' init by 1/√(2·n_layer).</summary>
    static ParameterInit ResidualProjection(ModelConfig c) => ParameterInit.Normal(c.InitializerRange / Math.Sqrt(2.0 * c.Layers));

    /// <summary>GPT-2's descriptor.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "GPT-2", ModelTypes = ["gpt2"], ClassName = "GPT2LMHeadModel", Kind = FamilyKind.Decoder,
        Keys = new()
        {
            Hidden = "n_embd", Layers = "n_layer", Heads = "n_head", Ffn = "n_inner", MaxPositions = "n_positions",
            NormEps = "layer_norm_epsilon", Activation = "activation_function",
        },
        BlockPrefix = "transformer.h.{layer}.",
        LearnedPositions = true, TiedHeadDefault = true,
        Parameters =
        [
            Embedding("transformer.wte.weight", c => c.Vocab),
            Embedding("transformer.wpe.weight", c => c.MaxPositions),
            .. Norm("transformer.h.{layer}.ln_1", withBias: true),
            .. Linear("transformer.h.{layer}.attn.c_attn", AxisRole.Packed(H, H, H), R, Always, convLayout: true),
            .. Linear("transformer.h.{layer}.attn.c_proj", R, H, Always, ResidualProjection, convLayout: true),
            .. Norm("transformer.h.{layer}.ln_2", withBias: true),
            .. Linear("transformer.h.{layer}.mlp.c_fc", F, R, Always, convLayout: true),
            .. Linear("transformer.h.{layer}.mlp.c_proj", R, F, Always, ResidualProjection, convLayout: true),
            .. Norm("transformer.ln_f", withBias: true),
            Head("lm_head.weight", c => c.Vocab) with { When = c => !c.TieWordEmbeddings },
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = CanonicalKey,
        Create = (c, _) => new Gpt2Model(c),
        Blockwise = c => new BlockwiseForward.Gpt2(c),
        Gguf = Gpt2Gguf.Mapping,
    };

    static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        int hidden = r.Int("n_embd"), heads = r.Int("n_head");
        return new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
            Hidden = hidden, Layers = r.Int("n_layer"), Heads = heads, KvHeads = heads,
            HeadDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0,
            Ffn = r.OptionalInt("n_inner") ?? 4 * hidden,
            Vocab = r.Int("vocab_size"), MaxPositions = r.Int("n_positions"),
            NormEps = r.OptionalDouble("layer_norm_epsilon") ?? 1e-5,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? family.TiedHeadDefault,
            Activation = r.OptionalString("activation_function") ?? "gelu_new",
            AttentionBias = true, MlpBias = true,
        };
    }

    static void Write(ModelConfig c, JsonObject json)
    {
        json["n_embd"] = c.Hidden; json["n_layer"] = c.Layers; json["n_head"] = c.Heads; json["n_inner"] = c.Ffn;
        json["vocab_size"] = c.Vocab; json["n_positions"] = c.MaxPositions;
        json["n_ctx"] = (json["n_ctx"] is null) ? c.MaxPositions : json["n_ctx"]!.DeepClone();
        json["layer_norm_epsilon"] = c.NormEps; json["activation_function"] = c.Activation;
        json["tie_word_embeddings"] = c.TieWordEmbeddings;
    }

    static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".attn.bias") || fileKey.EndsWith(".attn.masked_bias")) return null;  // causal-mask buffers
        if (fileKey == "lm_head.weight") return c.TieWordEmbeddings ? null : fileKey;
        return fileKey.StartsWith("transformer.") ? fileKey : "transformer." + fileKey;
    }
}
