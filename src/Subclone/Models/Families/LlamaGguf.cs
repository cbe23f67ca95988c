using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// The Llama family as llama.cpp's <c>llama</c> (Llama, Mistral) and <c>qwen2</c> architectures
/// (convert_hf_to_gguf.py's LlamaModel and Qwen2Model).
/// </summary>
public static class LlamaGguf
{
    /// <summary>
    /// llama.cpp's llama graph rotates interleaved pairs (x[2i], x[2i+1]) where HF rotates halves (x[i], x[i+d/2]),
    /// so the converter reorders q/k rows within each head: reshape [heads, 2, d/2, …], swap the middle axes.
    /// Qwen2 is run with NeoX (half) rotation and keeps HF's order.
    /// </summary>
    public static torch.Tensor Permute(torch.Tensor t, long heads)
    {
        long rows = t.shape[0];
        long[] rest = t.shape[1..];
        using var split = t.reshape([heads, 2, rows / heads / 2, .. rest]);
        using var swapped = split.transpose(1, 2);
        return swapped.reshape(t.shape);
    }

    internal static GgufTensorRule Rule(string hf, string gguf) => new("model.layers.{layer}." + hf, "blk.{layer}." + gguf);

    internal static IReadOnlyList<GgufTensorRule> Rules(bool permuteQk, params GgufTensorRule[] variant) =>
    [
        new("model.embed_tokens", "token_embd"),
        // A variant's rules come first: OLMo 2's post_attention_layernorm is a post-sublayer norm, not the FFN's input norm.
        .. variant,
        Rule("input_layernorm", "attn_norm"),
        new("model.layers.{layer}.self_attn.q_proj", "blk.{layer}.attn_q", permuteQk ? (c, t) => Permute(t, c.Heads) : null),
        new("model.layers.{layer}.self_attn.k_proj", "blk.{layer}.attn_k", permuteQk ? (c, t) => Permute(t, c.KvHeads) : null),
        Rule("self_attn.v_proj", "attn_v"),
        Rule("self_attn.o_proj", "attn_output"),
        Rule("post_attention_layernorm", "ffn_norm"),
        Rule("mlp.gate_proj", "ffn_gate"),
        Rule("mlp.up_proj", "ffn_up"),
        Rule("mlp.down_proj", "ffn_down"),
        new("model.norm", "output_norm"),
        new("lm_head", "output"),
    ];

    /// <summary>The keys every Llama-like architecture shares (TextModel.set_gguf_parameters), under <paramref name="arch"/>.</summary>
    /// <param name="arch">The architecture prefix.</param>
    /// <param name="c">The config.</param>
    /// <param name="m">The metadata written to.</param>
    /// <param name="kvHeads">head_count_kv when the export changes it (OLMoE's k/v heads repeated); null: the config's.</param>
    public static void CommonMetadata(string arch, ModelConfig c, GgufMetadata m, int? kvHeads = null) => m
        .Add($"{arch}.context_length", (uint)c.MaxPositions)
        .Add($"{arch}.embedding_length", (uint)c.Hidden)
        .Add($"{arch}.feed_forward_length", (uint)c.Ffn)
        .Add($"{arch}.block_count", (uint)c.Layers)
        .Add($"{arch}.attention.head_count", (uint)c.Heads)
        .Add($"{arch}.attention.head_count_kv", (uint)(kvHeads ?? c.KvHeads))
        .Add($"{arch}.attention.key_length", (uint)c.HeadDim)
        .Add($"{arch}.attention.value_length", (uint)c.HeadDim)
        .Add($"{arch}.attention.layer_norm_rms_epsilon", (float)c.NormEps)
        .Add($"{arch}.vocab_size", (uint)c.Vocab)
        .Also(() => GgufRope.Metadata(arch, c, m));

    /// <summary>Refuses what these graphs do not compute: other activations, rope scaling, sliding windows.</summary>
    public static void Check(ModelConfig c, string path)
    {
        if (c.Activation != "silu")
            throw new CheckpointException(path, $"field 'hidden_act' value '{c.Activation}' has no llama.cpp equivalent (its llama graph computes SiLU)");
        GgufRope.Check(c, path);
        // llama.cpp's llama / qwen2 / qwen3 / olmo2 graphs attend causally over the whole context.
        for (int layer = 0; layer < c.Layers; layer++)
            if (LlamaFamily.SlidingWindow(c, layer) is int window && window < c.MaxPositions)
                throw new CheckpointException(path, $"field 'sliding_window' ({window}) has no llama.cpp equivalent for {c.Family} (its graph attends over the whole context)");
    }

    /// <summary>Llama and Mistral: the <c>llama</c> architecture, q/k permuted.</summary>
    public static GgufMapping Llama { get; } = new()
    {
        Architecture = "llama", Tensors = Rules(permuteQk: true),
        Metadata = (c, m) => CommonMetadata("llama", c, m), Validate = Check, BpePreTokenizer = "llama-bpe",
        ExtraTensors = GgufRope.Tensors,
    };

    /// <summary>Qwen2: the <c>qwen2</c> architecture (NeoX rotation, q/k/v biases), HF's row order.</summary>
    public static GgufMapping Qwen2 { get; } = Llama with
    {
        Architecture = "qwen2", Tensors = Rules(permuteQk: false),
        Metadata = (c, m) => CommonMetadata("qwen2", c, m), BpePreTokenizer = "qwen2",
    };

    /// <summary>Qwen3: the <c>qwen3</c> architecture, with per-head q/k norms (attn_q_norm / attn_k_norm over head_dim).</summary>
    public static GgufMapping Qwen3 { get; } = Llama with
    {
        Architecture = "qwen3", BpePreTokenizer = "qwen2",
        Tensors = Rules(permuteQk: false, Rule("self_attn.q_norm", "attn_q_norm"), Rule("self_attn.k_norm", "attn_k_norm")),
        Metadata = (c, m) => CommonMetadata("qwen3", c, m),
    };

    /// <summary>OLMo 2: the <c>olmo2</c> architecture: full-width q/k norms, norms after each sublayer.</summary>
    public static GgufMapping Olmo2 { get; } = Llama with
    {
        Architecture = "olmo2", BpePreTokenizer = "dbrx",
        Tensors = Rules(permuteQk: false, Rule("self_attn.q_norm", "attn_q_norm"), Rule("self_attn.k_norm", "attn_k_norm"),
            Rule("post_attention_layernorm", "post_attention_norm"), Rule("post_feedforward_layernorm", "post_ffw_norm")),
        Metadata = (c, m) => CommonMetadata("olmo2", c, m),
    };
}
