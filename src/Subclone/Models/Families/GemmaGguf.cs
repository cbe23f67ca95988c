using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma 2 and Gemma 3 text as llama.cpp's <c>gemma2</c> / <c>gemma3</c> architectures (convert_hf_to_gguf.py's
/// Gemma2Model / Gemma3Model). Both graphs scale embeddings by √hidden as HF does; what differs is folded into the
/// weights so llama.cpp's forward is HF's:
/// <list type="bullet">
/// <item>Norms: HF's Gemma RMSNorm multiplies by (1 + w); llama.cpp by w, so every norm weight is written as 1 + w
/// (the converter does the same).</item>
/// <item>Attention scale: HF scales scores by query_pre_attn_scalar^-½; llama.cpp by a constant it picks from the
/// model size (1/√(hidden/heads) for the 27B models, recognised by their layer count, else 1/√head_dim). Queries are
/// linear in the q projection (Gemma 2) and in the (1 + w) q_norm weight (Gemma 3, which norms q before RoPE), so that
/// weight is multiplied by HF's scale / llama.cpp's scale: the scores, and with them the soft-cap's input, are HF's.</item>
/// <item>Sliding windows: llama.cpp's gemma2 and gemma3 slide on layers l with l mod p &lt; p − 1 for the period p
/// written as <c>attention.sliding_window_pattern</c> (HF's defaults are periods 2 and 6); layer_types no period
/// gives are refused, naming the field, unless the window covers the whole context.</item>
/// </list>
/// </summary>
public static class GemmaGguf
{
    static GgufTensorRule Rule(string hf, string gguf, Func<ModelConfig, torch.Tensor, torch.Tensor>? relayout = null) =>
        new("model.layers.{layer}." + hf, "blk.{layer}." + gguf, relayout);

    static torch.Tensor PlusOne(ModelConfig c, torch.Tensor w) => w + 1;

    /// <summary>The constant llama.cpp scales queries by (llama-model.cpp: the 27B type by its layer count, else 1/√head_dim).</summary>
    public static double LlamaCppQueryScale(ModelConfig c, int largeLayers) =>
        c.Layers == largeLayers ? 1 / Math.Sqrt(c.Hidden / c.Heads) : 1 / Math.Sqrt(c.HeadDim);

    /// <summary>HF's query scale over llama.cpp's: the factor folded into the queries.</summary>
    static double QueryCorrection(ModelConfig c, int largeLayers) =>
        1 / Math.Sqrt(GemmaSettings.Of(c).QueryPreAttnScalar) / LlamaCppQueryScale(c, largeLayers);

    /// <summary>The layer types llama.cpp's graph uses: sliding unless l mod <paramref name="pattern"/> is pattern − 1.</summary>
    static bool LlamaCppSlides(int layer, int pattern) => layer % pattern < pattern - 1;

    static IReadOnlyList<GgufTensorRule> Rules(GgufTensorRule query, params GgufTensorRule[] qkNorms) =>
    [
        new("model.embed_tokens", "token_embd"),
        Rule("input_layernorm", "attn_norm", PlusOne),
        query,
        Rule("self_attn.k_proj", "attn_k"),
        Rule("self_attn.v_proj", "attn_v"),
        Rule("self_attn.o_proj", "attn_output"),
        .. qkNorms,
        Rule("post_attention_layernorm", "post_attention_norm", PlusOne),
        Rule("pre_feedforward_layernorm", "ffn_norm", PlusOne),
        Rule("mlp.gate_proj", "ffn_gate"),
        Rule("mlp.up_proj", "ffn_up"),
        Rule("mlp.down_proj", "ffn_down"),
        Rule("post_feedforward_layernorm", "post_ffw_norm", PlusOne),
        new("model.norm", "output_norm", PlusOne),
        new("lm_head", "output"),
    ];

    static void CommonMetadata(string arch, ModelConfig c, GgufMetadata m)
    {
        var s = GemmaSettings.Of(c);
        m.Add($"{arch}.context_length", (uint)c.MaxPositions)
            .Add($"{arch}.embedding_length", (uint)c.Hidden)
            .Add($"{arch}.block_count", (uint)c.Layers)
            .Add($"{arch}.feed_forward_length", (uint)c.Ffn)
            .Add($"{arch}.attention.head_count", (uint)c.Heads)
            .Add($"{arch}.attention.head_count_kv", (uint)c.KvHeads)
            .Add($"{arch}.attention.key_length", (uint)c.HeadDim)
            .Add($"{arch}.attention.value_length", (uint)c.HeadDim)
            .Add($"{arch}.attention.layer_norm_rms_epsilon", (float)c.NormEps)
            .Add($"{arch}.attention.sliding_window", (uint)s.SlidingWindow);
        GgufRope.Metadata(arch, c, m);
        // A window covering the context makes the types irrelevant (Check lets any through); llama.cpp's default then.
        if (Period(c) is int period) m.Add($"{arch}.attention.sliding_window_pattern", (uint)period);
    }

    /// <summary>
    /// The period p with layer l sliding exactly when l mod p &lt; p − 1, which llama.cpp's gemma2 and gemma3 read from
    /// <c>attention.sliding_window_pattern</c> (measured: the bundled build follows it for both; without the key they
    /// use 2 and 6); null when layer_types has none. p = layers + 1 says every layer slides.
    /// </summary>
    static int? Period(ModelConfig c)
    {
        var s = GemmaSettings.Of(c);
        for (int p = 1; p <= c.Layers + 1; p++)
            if (Enumerable.Range(0, c.Layers).All(l => s.IsSliding(l) == LlamaCppSlides(l, p))) return p;
        return null;
    }

    static void Check(ModelConfig c, string path, int? pattern, string arch)
    {
        if (c.Activation is not ("gelu_pytorch_tanh" or "gelu_new" or "gelu_fast"))
            throw new CheckpointException(path, $"field 'hidden_activation' value '{c.Activation}' has no llama.cpp {arch} equivalent (it computes tanh-approximate GELU)");
        if (c.AttentionBias) throw new CheckpointException(path, $"field 'attention_bias' true has no llama.cpp {arch} equivalent (its graph has no q/k/v biases)");
        var s = GemmaSettings.Of(c, path);
        // Where the window covers every position llama.cpp can hold, sliding and full attention are the same.
        if (s.SlidingWindow >= c.MaxPositions) return;
        if (pattern is null)
            throw new CheckpointException(path, $"field 'layer_types' ({string.Join(", ", s.LayerTypes)}) has no llama.cpp {arch} equivalent (it slides on layers l with l mod p < p - 1 for one period p)");
    }

    /// <summary>Gemma 2: the <c>gemma2</c> architecture; attention and final soft-caps as keys (the graph always applies both).</summary>
    public static GgufMapping Gemma2 { get; } = new()
    {
        Architecture = "gemma2",
        Tensors = Rules(Rule("self_attn.q_proj", "attn_q", (c, t) => t * QueryCorrection(c, largeLayers: 46))),
        Metadata = (c, m) =>
        {
            CommonMetadata("gemma2", c, m);
            var s = GemmaSettings.Of(c);
            m.Add("gemma2.attn_logit_softcapping", (float)s.AttentionSoftcap!.Value).Add("gemma2.final_logit_softcapping", (float)s.FinalSoftcap!.Value);
        },
        Validate = (c, path) =>
        {
            Check(c, path, Period(c), "gemma2");
            var s = GemmaSettings.Of(c, path);
            if (s.AttentionSoftcap is null) throw new CheckpointException(path, "field 'attn_logit_softcapping' null has no llama.cpp gemma2 equivalent (its graph always soft-caps scores)");
            if (s.FinalSoftcap is null) throw new CheckpointException(path, "field 'final_logit_softcapping' null has no llama.cpp gemma2 equivalent (its graph always soft-caps logits)");
            if (c.Rope.RopeType != "default") throw new CheckpointException(path, $"field 'rope_scaling' type '{c.Rope.RopeType}' is not exported to GGUF for Gemma 2");
        },
    };

    /// <summary>Llama.cpp's gemma3 graph runs sliding layers on default RoPE with this base (hard-coded).</summary>
    public const double LlamaCppLocalRopeBase = 10_000;

    /// <summary>Gemma 3 text: the <c>gemma3</c> architecture: (1 + w) q/k norms, global layers' linear rope scaling as keys.</summary>
    public static GgufMapping Gemma3 { get; } = new()
    {
        Architecture = "gemma3",
        Tensors = Rules(Rule("self_attn.q_proj", "attn_q"),
            Rule("self_attn.q_norm", "attn_q_norm", (c, w) => (w + 1) * QueryCorrection(c, largeLayers: 62)),
            Rule("self_attn.k_norm", "attn_k_norm", PlusOne)),
        Metadata = (c, m) => CommonMetadata("gemma3", c, m),
        Validate = (c, path) =>
        {
            Check(c, path, Period(c), "gemma3");
            var s = GemmaSettings.Of(c, path);
            if (s.AttentionSoftcap is not null) throw new CheckpointException(path, "field 'attn_logit_softcapping' has no llama.cpp gemma3 equivalent (its graph does not soft-cap scores)");
            if (s.FinalSoftcap is not null) throw new CheckpointException(path, "field 'final_logit_softcapping' has no llama.cpp gemma3 equivalent (its graph does not soft-cap logits)");
            if (s.LocalRope is { } local && (local.RopeType != "default" || local.Theta != LlamaCppLocalRopeBase))
                throw new CheckpointException(path, $"field 'rope_local_base_freq' ({local.Theta}, {local.RopeType}) has no llama.cpp gemma3 equivalent (its sliding layers use default RoPE with base {LlamaCppLocalRopeBase})");
            if (c.Rope.RopeType is not ("default" or "linear"))
                throw new CheckpointException(path, $"field 'rope_scaling' type '{c.Rope.RopeType}' is not exported to GGUF for Gemma 3");
        },
    };
}
