using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>
/// GPT-NeoX / Pythia as llama.cpp's <c>gptneox</c> architecture (convert_hf_to_gguf.py's GPTNeoXModel): HF's
/// per-head interleaved <c>query_key_value</c> ([heads, 3, head_dim]) is regrouped into [q | k | v], as the converter does.
/// </summary>
public static class GptNeoXGguf
{
    /// <summary>[heads, 3, head_dim, …] rows → [3, heads, head_dim, …]: all queries, then all keys, then all values.</summary>
    public static torch.Tensor Deinterleave(ModelConfig c, torch.Tensor t)
    {
        using var split = t.reshape([c.Heads, 3, c.HeadDim, .. t.shape[1..]]);
        using var grouped = split.transpose(0, 1);
        return grouped.reshape(t.shape);
    }

    static GgufTensorRule Rule(string hf, string gguf, Func<ModelConfig, torch.Tensor, torch.Tensor>? relayout = null) =>
        new("gpt_neox.layers.{layer}." + hf, "blk.{layer}." + gguf, relayout);

    /// <summary>GPT-NeoX's tensor names and metadata.</summary>
    public static GgufMapping Mapping { get; } = new()
    {
        Architecture = "gptneox",
        Tensors =
        [
            new("gpt_neox.embed_in", "token_embd"),
            Rule("input_layernorm", "attn_norm"),
            Rule("post_attention_layernorm", "ffn_norm"),
            Rule("attention.query_key_value", "attn_qkv", Deinterleave),
            Rule("attention.dense", "attn_output"),
            Rule("mlp.dense_h_to_4h", "ffn_up"),
            Rule("mlp.dense_4h_to_h", "ffn_down"),
            new("gpt_neox.final_layer_norm", "output_norm"),
            new("embed_out", "output"),
        ],
        Metadata = (c, m) => m
            .Add("gptneox.context_length", (uint)c.MaxPositions)
            .Add("gptneox.embedding_length", (uint)c.Hidden)
            .Add("gptneox.block_count", (uint)c.Layers)
            .Add("gptneox.feed_forward_length", (uint)c.Ffn)
            .Add("gptneox.attention.head_count", (uint)c.Heads)
            .Add("gptneox.use_parallel_residual", UsesParallelResidual(c))
            .Add("gptneox.attention.layer_norm_epsilon", (float)c.NormEps)
            .Also(() => GgufRope.Metadata("gptneox", c, m)),
        Validate = Check,
    };

    static bool UsesParallelResidual(ModelConfig c) => new ConfigReader(c.Raw, "config.json").OptionalBool("use_parallel_residual") ?? true;

    static void Check(ModelConfig c, string path)
    {
        if (!c.AttentionBias) throw new CheckpointException(path, "field 'attention_bias' false has no llama.cpp gptneox equivalent (its graph adds q/k/v and output biases)");
        // ggml_gelu is the tanh approximation; HF's "gelu" is exact erf (Pythia's), which moves the fixture's logits by 5e-3.
        if (c.Activation is not ("gelu_new" or "gelu_fast" or "gelu_pytorch_tanh"))
            throw new CheckpointException(path, $"field 'hidden_act' value '{c.Activation}' has no llama.cpp gptneox equivalent (its graph computes tanh-approximate GELU)");
        if (c.Rope.RopeType != "default")
            throw new CheckpointException(path, $"field 'rope_scaling' type '{c.Rope.RopeType}' is not exported to GGUF for GPT-NeoX");
    }
}
