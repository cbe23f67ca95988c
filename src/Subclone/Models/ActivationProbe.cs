using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// Receives the activations that importance scoring needs, during an ordinary forward pass. Every model
/// calls these hooks at the same semantic points, so calibration code is written once for all families.
/// Tensors passed in are owned by the forward pass: read them, don't keep them.
/// </summary>
public abstract class ActivationProbe
{
    /// <summary>[B, T] with 1 for real tokens and 0 for padding, set by the caller; null means all tokens count.</summary>
    public Tensor? TokenMask { get; set; }

    /// <summary>A block's input and output hidden states, [B, T, D] each (the residual stream).</summary>
    public virtual void OnBlock(int layer, Tensor input, Tensor output) { }

    /// <summary>The input of a block's FFN down projection, [B, T, F]: after GELU, or act(gate)·up for SwiGLU.</summary>
    public virtual void OnFfnHidden(int layer, Tensor hidden) { }

    /// <summary>Each head's attention output softmax(QKᵀ/√d)V before the output projection, [B, H, T, head_dim].</summary>
    public virtual void OnHeadOutputs(int layer, Tensor heads) { }

    /// <summary>A sparse block's gate weights, [N, experts] over the block's N = B·T tokens: each token's top-k
    /// weights (renormalised where the config says), zero for experts it is not routed to.</summary>
    public virtual void OnRouting(int layer, Tensor weights) { }

    /// <summary>One expert's down-projection input, [n, F], for the n tokens routed to it (<paramref name="tokens"/>,
    /// indices into the block's flattened B·T tokens).</summary>
    public virtual void OnExpertHidden(int layer, int expert, Tensor hidden, Tensor tokens) { }

    /// <summary>One expert's gate-weighted output, [n, D], for the tokens routed to it: what it adds to the residual stream.</summary>
    public virtual void OnExpertOutput(int layer, int expert, Tensor contribution, Tensor tokens) { }
}
