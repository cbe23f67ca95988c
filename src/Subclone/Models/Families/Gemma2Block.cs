using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma's sandwich block: x + post_attn_norm(attn(input_norm(x))), then + post_ffn_norm(mlp(pre_ffn_norm(·))).
/// Every norm is a (1+w) RMSNorm over the residual width.
/// </summary>
public sealed class Gemma2Block : nn.Module
{
    /// <summary>Norm before attention.</summary>
    public GemmaRmsNorm input_layernorm;
    /// <summary>The attention.</summary>
    public Gemma2Attention self_attn;
    /// <summary>Norm of the attention's output, before it joins the residual stream.</summary>
    public GemmaRmsNorm post_attention_layernorm;
    /// <summary>Norm before the MLP.</summary>
    public GemmaRmsNorm pre_feedforward_layernorm;
    /// <summary>GeGLU: down(act(gate(x)) · up(x)) with hidden_activation (Gemma2MLP is Llama's gated MLP).</summary>
    public LlamaMlp mlp;
    /// <summary>Norm of the MLP's output, before it joins the residual stream.</summary>
    public GemmaRmsNorm post_feedforward_layernorm;
    readonly int _layer;

    /// <summary>Whether this block attends through the sliding window (its layer_types entry).</summary>
    public bool IsSliding { get; }

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public Gemma2Block(ModelConfig config, GemmaSettings settings, int layer) : base(nameof(Gemma2Block))
    {
        input_layernorm = new GemmaRmsNorm(config.Hidden, config.NormEps);
        self_attn = new Gemma2Attention(config, settings, layer);
        post_attention_layernorm = new GemmaRmsNorm(config.Hidden, config.NormEps);
        pre_feedforward_layernorm = new GemmaRmsNorm(config.Hidden, config.NormEps);
        mlp = new LlamaMlp(config, layer);
        post_feedforward_layernorm = new GemmaRmsNorm(config.Hidden, config.NormEps);
        _layer = layer;
        IsSliding = settings.IsSliding(layer);
        RegisterComponents();
    }

    /// <summary>The residual stream through this block, with the rotary tables and mask of its attention type.</summary>
    public Tensor Forward(Tensor x, GemmaPositions positions, ActivationProbe? probe)
    {
        var (cos, sin, allowed) = positions.For(IsSliding);
        var attended = self_attn.Forward(input_layernorm.forward(x), cos, sin, allowed, probe, positions.Step);
        var h = x + post_attention_layernorm.forward(attended);
        var y = h + post_feedforward_layernorm.forward(mlp.Forward(pre_feedforward_layernorm.forward(h), probe));
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}
