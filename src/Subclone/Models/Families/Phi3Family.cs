using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>
/// Phi3ForCausalLM (Phi-3, Phi-3.5, Phi-4-mini): Llama's block with q/k/v fused into <c>qkv_proj</c>
/// ([q | k | v] of unequal sizes under GQA) and gate/up into <c>gate_up_proj</c>, head_dim = hidden / heads (no
/// head_dim field), partial rotary embeddings, LongRoPE and a sliding-window mask. Module: <see cref="Phi3Model"/>.
/// </summary>
public static class Phi3Family
{
    static readonly AxisRole R = AxisRole.Residual, H = AxisRole.Heads, KV = AxisRole.KvHeads, F = AxisRole.Ffn;
    const string Block = "model.layers.{layer}.";

    /// <summary>Phi-3's descriptor.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "Phi-3", ModelTypes = ["phi3"], ClassName = "Phi3ForCausalLM", Kind = FamilyKind.Decoder,
        Keys = ConfigKeys.Standard with { KvHeads = "num_key_value_heads", NormEps = "rms_norm_eps" },
        BlockPrefix = Block,
        // Phi-3's Llama-style and Phi-4-mini's GPT-style tokenizers both leave BOS out (add_bos_token false).
        PrependsBos = false, TiedHeadDefault = false,
        Parameters =
        [
            Embedding("model.embed_tokens.weight", c => c.Vocab),
            .. Norm(Block + "input_layernorm", withBias: false),
            .. Linear(Block + "self_attn.qkv_proj", AxisRole.Packed(H, KV, KV), R),
            .. Linear(Block + "self_attn.o_proj", R, H),
            .. Norm(Block + "post_attention_layernorm", withBias: false),
            .. Linear(Block + "mlp.gate_up_proj", AxisRole.Packed(F, F), R),
            .. Linear(Block + "mlp.down_proj", R, F),
            .. Norm("model.norm", withBias: false),
            Head("lm_head.weight", c => c.Vocab) with { When = c => !c.TieWordEmbeddings },
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = CanonicalKey, Validate = Validate, ParseValidated = ReadRope,
        Create = (c, _) => new Phi3Model(c),
        Blockwise = c => new Phi3Blockwise(c),
        Gguf = Phi3Gguf.Mapping,
        ImplementedFields = ["partial_rotary_factor", "sliding_window"],  // rope_scaling: Models/Rotary
    };

    /// <summary>HF's sliding window of a Phi-3 config (null: plain causal): query i sees keys i − window + 1 … i.</summary>
    public static int? SlidingWindow(ModelConfig config) => new ConfigReader(config.Raw, "config.json").OptionalInt("sliding_window");

    static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int headDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0;
        int maxPositions = r.OptionalInt("max_position_embeddings") ?? 4096;
        // Phi3Attention takes getattr(config, "head_dim", hidden / heads) while its rope takes hidden / heads:
        // only a head_dim that agrees describes one function.
        if (r.OptionalInt("head_dim") is int given && given != headDim)
            throw new CheckpointException(r.Path,
                $"field 'head_dim' ({given}) differs from hidden_size / num_attention_heads ({headDim}), which Phi-3 uses");
        return new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads,
            KvHeads = r.OptionalInt("num_key_value_heads") ?? heads, HeadDim = headDim,
            Ffn = r.Int("intermediate_size"), Vocab = r.Int("vocab_size"), MaxPositions = maxPositions,
            NormEps = r.OptionalDouble("rms_norm_eps") ?? 1e-5,
            TieWordEmbeddings = r.OptionalBool("tie_word_embeddings") ?? family.TiedHeadDefault,
            Activation = r.OptionalString("hidden_act") ?? "silu",
        };
    }

    /// <summary>The rotary embedding (partial factor, LongRoPE), read once the shape is known to be valid.</summary>
    static ModelConfig ReadRope(ModelConfig c, string path)
    {
        var rope = RopeParametersReader.Read(WithLegacyRopeTypes(c.Raw), path, c.HeadDim, c.MaxPositions);
        return c with { Rope = rope, RopeTheta = rope.Theta };
    }

    /// <summary>Phi3Config renames the rope types early Phi-3 checkpoints wrote, "su" and "yarn", to "longrope"
    /// (a Phi-3 "yarn" is LongRoPE, not YaRN); a copy with the type renamed, the original kept for the child.</summary>
    static JsonObject WithLegacyRopeTypes(JsonObject json)
    {
        string[] containers = ["rope_scaling", "rope_parameters"];
        bool Legacy(JsonNode? type) => type is JsonValue v && v.TryGetValue(out string? name) && name is "su" or "yarn";
        if (!containers.Any(c => json[c] is JsonObject o && (Legacy(o["rope_type"]) || Legacy(o["type"])))) return json;
        var copy = (JsonObject)json.DeepClone();
        foreach (string c in containers)
            if (copy[c] is JsonObject rope)
                foreach (string key in new[] { "rope_type", "type" })
                    if (Legacy(rope[key])) rope[key] = "longrope";
        return copy;
    }

    static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["num_key_value_heads"] = c.KvHeads; json["intermediate_size"] = c.Ffn; json["vocab_size"] = c.Vocab;
        json["max_position_embeddings"] = c.MaxPositions; json["rms_norm_eps"] = c.NormEps;
        json["hidden_act"] = c.Activation; json["tie_word_embeddings"] = c.TieWordEmbeddings;
    }

    static string? CanonicalKey(ModelConfig c, string fileKey)
    {
        if (fileKey.EndsWith(".rotary_emb.inv_freq")) return null;  // a buffer older checkpoints saved
        if (fileKey == "lm_head.weight" && c.TieWordEmbeddings) return null;
        return fileKey;
    }

    static void Validate(ModelConfig c, string path)
    {
        int? window = new ConfigReader(c.Raw, path).OptionalInt("sliding_window");
        if (window is <= 0) throw new CheckpointException(path, $"field 'sliding_window' must be positive, got {window}");
    }
}
