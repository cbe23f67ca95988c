using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// Phi-3 as llama.cpp's <c>phi3</c> architecture (convert_hf_to_gguf.py's Phi3MiniModel): fused <c>attn_qkv</c>
/// ([q | k | v], as HF stores it), fused <c>ffn_up</c> ([gate | up], which llama.cpp splits for SwiGLU), NeoX rotation
/// over the partial rotary dims.
/// </summary>
public static class Phi3Gguf
{
    static GgufTensorRule Rule(string hf, string gguf) => new("model.layers.{layer}." + hf, "blk.{layer}." + gguf);

    /// <summary>Phi-3's tensor names and metadata.</summary>
    public static GgufMapping Mapping { get; } = new()
    {
        Architecture = "phi3", WritesTiedOutput = true, BpePreTokenizer = "gpt-4o",
        Tensors =
        [
            new("model.embed_tokens", "token_embd"),
            Rule("input_layernorm", "attn_norm"),
            new("model.layers.{layer}.self_attn.qkv_proj", "blk.{layer}.attn_qkv", FoldAttentionFactor),
            Rule("self_attn.o_proj", "attn_output"),
            Rule("post_attention_layernorm", "ffn_norm"),
            Rule("mlp.gate_up_proj", "ffn_up"),
            Rule("mlp.down_proj", "ffn_down"),
            new("model.norm", "output_norm"),
            new("lm_head", "output"),
        ],
        Metadata = (c, m) => m
            .Add("phi3.context_length", (uint)c.MaxPositions)
            .Add("phi3.rope.scaling.original_context_length", (uint)(c.Rope.OriginalMaxPositions ?? c.MaxPositions))
            .Add("phi3.embedding_length", (uint)c.Hidden)
            .Add("phi3.feed_forward_length", (uint)c.Ffn)
            .Add("phi3.block_count", (uint)c.Layers)
            .Add("phi3.attention.head_count", (uint)c.Heads)
            .Add("phi3.attention.head_count_kv", (uint)c.KvHeads)
            .Add("phi3.attention.layer_norm_rms_epsilon", (float)c.NormEps)
            .Add("phi3.attention.sliding_window", (uint)(Phi3Family.SlidingWindow(c) ?? 0))
            .Add("phi3.vocab_size", (uint)c.Vocab)
            .Also(() => GgufRope.Metadata("phi3", c, m)),
        Validate = Check,
        ExtraTensors = GgufRope.LongRopeTensors,
    };

    /// <summary>HF's LongRoPE cos/sin factor on the rotated q and k rows of [q | k | v] (1 for other rope types).</summary>
    static torch.Tensor FoldAttentionFactor(ModelConfig c, torch.Tensor t)
    {
        double factor = GgufRope.FoldedAttentionFactor(c);
        if (factor == 1) return t.alias();
        long q = (long)c.Heads * c.HeadDim, k = (long)c.KvHeads * c.HeadDim;
        var parts = t.split([q, k, t.shape[0] - q - k]);
        using var scaledQ = GgufRope.ScaleRotatedRows(c, parts[0], c.Heads, factor);
        using var scaledK = GgufRope.ScaleRotatedRows(c, parts[1], c.KvHeads, factor);
        var result = torch.cat([scaledQ, scaledK, parts[2]]);
        foreach (var part in parts) part.Dispose();
        return result;
    }

    static void Check(ModelConfig c, string path)
    {
        if (c.Activation != "silu")
            throw new CheckpointException(path, $"field 'hidden_act' value '{c.Activation}' has no llama.cpp equivalent (its phi3 graph computes SwiGLU)");
        GgufRope.Check(c, path, ["default", "longrope"]);
        // The window only binds on sequences longer than it, which a context no longer than it never holds.
        if (Phi3Family.SlidingWindow(c) is int window && window < c.MaxPositions)
            throw new CheckpointException(path, $"field 'sliding_window' ({window}) below max_position_embeddings is not exported to GGUF for Phi-3");
    }
}
