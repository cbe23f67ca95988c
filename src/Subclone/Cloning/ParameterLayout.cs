using System.Text.RegularExpressions;
using Subclone.Models;

namespace Subclone.Cloning;

/// <summary>
/// The role of every axis of every parameter, per architecture, keyed by HF parameter name. This table is
/// the whole of what slicing needs to know about a model family: add a family by adding its rows.
/// </summary>
public static partial class ParameterLayout
{
    [GeneratedRegex(@"\.(h|layers|layer)\.(\d+)\.")]
    private static partial Regex LayerIndex();

    /// <summary>The block index in a parameter name, or null for embeddings, final norm and head.</summary>
    public static int? LayerOf(string name) =>
        LayerIndex().Match(name) is { Success: true } m ? int.Parse(m.Groups[2].Value) : null;

    /// <summary>The same parameter in another block.</summary>
    public static string WithLayer(string name, int layer) =>
        LayerIndex().Replace(name, m => $".{m.Groups[1].Value}.{layer}.", 1);

    static ParameterAxes A(params AxisRole[] axes) => new(axes);
    static ParameterAxes Linear(AxisRole output, AxisRole input, bool convLayout = false) =>
        convLayout ? new([input, output], 0) : new([output, input], 1);

    const AxisRole W = AxisRole.Whole, R = AxisRole.Residual, H = AxisRole.Heads, KV = AxisRole.KvHeads, F = AxisRole.Ffn, QKV = AxisRole.PackedQkv;

    /// <summary>
    /// The axis roles of parameter <paramref name="name"/> (an HF name) in the family <paramref name="architecture"/>;
    /// an <see cref="InvalidOperationException"/> for a parameter the table has no row for.
    /// </summary>
    public static ParameterAxes For(Architecture architecture, string name)
    {
        string suffix = LayerOf(name) is null ? name : LayerIndex().Split(name)[^1];
        ParameterAxes? axes = architecture switch
        {
            Architecture.Gpt2 => name switch
            {
                "transformer.wte.weight" or "transformer.wpe.weight" => A(W, R),
                "lm_head.weight" => Linear(W, R),
                _ when name.Contains(".ln_") => A(R),
                _ => suffix switch
                {
                    "attn.c_attn.weight" => Linear(QKV, R, convLayout: true),
                    "attn.c_attn.bias" => A(QKV),
                    "attn.c_proj.weight" => Linear(R, H, convLayout: true),
                    "attn.c_proj.bias" or "mlp.c_proj.bias" => A(R),
                    "mlp.c_fc.weight" => Linear(F, R, convLayout: true),
                    "mlp.c_fc.bias" => A(F),
                    "mlp.c_proj.weight" => Linear(R, F, convLayout: true),
                    _ => null,
                },
            },
            Architecture.Llama => name switch
            {
                "model.embed_tokens.weight" => A(W, R),
                "lm_head.weight" => Linear(W, R),
                "model.norm.weight" => A(R),
                _ => suffix switch
                {
                    "input_layernorm.weight" or "post_attention_layernorm.weight" => A(R),
                    "self_attn.q_proj.weight" => Linear(H, R),
                    "self_attn.q_proj.bias" => A(H),
                    "self_attn.k_proj.weight" or "self_attn.v_proj.weight" => Linear(KV, R),
                    "self_attn.k_proj.bias" or "self_attn.v_proj.bias" => A(KV),
                    "self_attn.o_proj.weight" => Linear(R, H),
                    "self_attn.o_proj.bias" or "mlp.down_proj.bias" => A(R),
                    "mlp.gate_proj.weight" or "mlp.up_proj.weight" => Linear(F, R),
                    "mlp.gate_proj.bias" or "mlp.up_proj.bias" => A(F),
                    "mlp.down_proj.weight" => Linear(R, F),
                    _ => null,
                },
            },
            Architecture.Bert => name switch
            {
                "embeddings.word_embeddings.weight" or "embeddings.position_embeddings.weight" or "embeddings.token_type_embeddings.weight" => A(W, R),
                "embeddings.LayerNorm.weight" or "embeddings.LayerNorm.bias" => A(R),
                "pooler.dense.weight" => Linear(R, R),
                "pooler.dense.bias" => A(R),
                _ => suffix switch
                {
                    "attention.self.query.weight" or "attention.self.key.weight" or "attention.self.value.weight" => Linear(H, R),
                    "attention.self.query.bias" or "attention.self.key.bias" or "attention.self.value.bias" => A(H),
                    "attention.output.dense.weight" => Linear(R, H),
                    "intermediate.dense.weight" => Linear(F, R),
                    "intermediate.dense.bias" => A(F),
                    "output.dense.weight" => Linear(R, F),
                    _ when suffix.EndsWith(".bias") || suffix.Contains("LayerNorm") => A(R),  // output biases and norms
                    _ => null,
                },
            },
            Architecture.Vit => name switch
            {
                "vit.embeddings.cls_token" or "vit.embeddings.position_embeddings" => A(W, W, R),
                // The convolution's output channels are residual dims; its input (pixels) is never cut, so no scaling.
                "vit.embeddings.patch_embeddings.projection.weight" => A(R, W, W, W),
                "vit.embeddings.patch_embeddings.projection.bias" or "vit.layernorm.weight" or "vit.layernorm.bias" => A(R),
                "classifier.weight" => Linear(W, R),
                "classifier.bias" => A(W),
                _ => suffix switch
                {
                    "layernorm_before.weight" or "layernorm_before.bias" or "layernorm_after.weight" or "layernorm_after.bias" => A(R),
                    "attention.attention.query.weight" or "attention.attention.key.weight" or "attention.attention.value.weight" => Linear(H, R),
                    "attention.attention.query.bias" or "attention.attention.key.bias" or "attention.attention.value.bias" => A(H),
                    "attention.output.dense.weight" => Linear(R, H),
                    "attention.output.dense.bias" or "output.dense.bias" => A(R),
                    "intermediate.dense.weight" => Linear(F, R),
                    "intermediate.dense.bias" => A(F),
                    "output.dense.weight" => Linear(R, F),
                    _ => null,
                },
            },
            Architecture.Phi3 => name switch
            {
                "model.embed_tokens.weight" => A(W, R),
                "lm_head.weight" => Linear(W, R),
                "model.norm.weight" => A(R),
                _ => suffix switch
                {
                    "input_layernorm.weight" or "post_attention_layernorm.weight" => A(R),
                    "self_attn.qkv_proj.weight" => Linear(AxisRole.PackedQkvGqa, R),
                    "self_attn.o_proj.weight" => Linear(R, H),
                    "mlp.gate_up_proj.weight" => Linear(AxisRole.PackedGateUp, R),
                    "mlp.down_proj.weight" => Linear(R, F),
                    _ => null,
                },
            },
            Architecture.GptNeoX => name switch
            {
                "gpt_neox.embed_in.weight" => A(W, R),
                "embed_out.weight" => Linear(W, R),
                "gpt_neox.final_layer_norm.weight" or "gpt_neox.final_layer_norm.bias" => A(R),
                _ => suffix switch
                {
                    "input_layernorm.weight" or "input_layernorm.bias" or "post_attention_layernorm.weight" or "post_attention_layernorm.bias" => A(R),
                    "attention.query_key_value.weight" => Linear(AxisRole.PerHeadQkv, R),
                    "attention.query_key_value.bias" => A(AxisRole.PerHeadQkv),
                    "attention.dense.weight" => Linear(R, H),
                    "attention.dense.bias" or "mlp.dense_4h_to_h.bias" => A(R),
                    "mlp.dense_h_to_4h.weight" => Linear(F, R),
                    "mlp.dense_h_to_4h.bias" => A(F),
                    "mlp.dense_4h_to_h.weight" => Linear(R, F),
                    _ => null,
                },
            },
            _ => null,
        };
        return axes ?? throw new InvalidOperationException($"no slicing rule for {architecture} parameter '{name}'");
    }
}
