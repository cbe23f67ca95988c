using Subclone.Checkpoints;
using TorchSharp;

namespace Subclone.Models.Families;

/// <summary>GPT-2 as llama.cpp's <c>gpt2</c> architecture (convert_hf_to_gguf.py's GPT2Model).</summary>
public static class Gpt2Gguf
{
    // HF's Conv1D stores [in, out]; llama.cpp multiplies by [out, in] like nn.Linear, so the converter transposes.
    static torch.Tensor Conv1D(ModelConfig c, torch.Tensor t) => t.dim() == 2 ? t.t() : t.alias();

    /// <summary>GPT-2's tensor names and metadata.</summary>
    public static GgufMapping Mapping { get; } = new()
    {
        Architecture = "gpt2", WritesTiedOutput = true,
        Tensors =
        [
            new("transformer.wte", "token_embd"),
            new("transformer.wpe", "position_embd") { AlwaysF32 = true },
            new("transformer.h.{layer}.ln_1", "blk.{layer}.attn_norm"),
            new("transformer.h.{layer}.attn.c_attn", "blk.{layer}.attn_qkv", Conv1D),
            new("transformer.h.{layer}.attn.c_proj", "blk.{layer}.attn_output", Conv1D),
            new("transformer.h.{layer}.ln_2", "blk.{layer}.ffn_norm"),
            new("transformer.h.{layer}.mlp.c_fc", "blk.{layer}.ffn_up", Conv1D),
            new("transformer.h.{layer}.mlp.c_proj", "blk.{layer}.ffn_down", Conv1D),
            new("transformer.ln_f", "output_norm"),
            new("lm_head", "output"),
        ],
        Metadata = (c, m) => m
            .Add("gpt2.context_length", (uint)c.MaxPositions)
            .Add("gpt2.embedding_length", (uint)c.Hidden)
            .Add("gpt2.feed_forward_length", (uint)c.Ffn)
            .Add("gpt2.block_count", (uint)c.Layers)
            .Add("gpt2.attention.head_count", (uint)c.Heads)
            .Add("gpt2.attention.layer_norm_epsilon", (float)c.NormEps),
        Validate = Check,
    };

    static void Check(ModelConfig c, string path)
    {
        // llama.cpp's gpt2 graph uses ggml_gelu, the tanh approximation; exact erf GELU would silently differ.
        if (c.Activation is not ("gelu_new" or "gelu_pytorch_tanh" or "gelu_fast"))
            throw new CheckpointException(path, $"field 'activation_function' value '{c.Activation}' has no llama.cpp gpt2 equivalent (it computes tanh-approximate GELU)");
        foreach (var field in new[] { "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn" })
            if (c.Raw[field] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<bool>(out bool on) && on)
                throw new CheckpointException(path, $"field '{field}' true has no llama.cpp gpt2 equivalent");
        if (c.Raw["scale_attn_weights"] is System.Text.Json.Nodes.JsonValue s && s.TryGetValue<bool>(out bool scaled) && !scaled)
            throw new CheckpointException(path, "field 'scale_attn_weights' false has no llama.cpp gpt2 equivalent");
    }
}
