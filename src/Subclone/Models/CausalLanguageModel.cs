using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// The top level every decoder shares, as HF's *ForCausalLM classes do: a backbone from token ids to the final normed
/// hidden states, then an LM head that is its own [vocab, D] matrix or, when tied, the token embeddings' transpose.
/// A family states only its backbone, those two matrices and (Gemma) what it does to the logits. It declares no
/// fields, so each family's modules keep their HF names and order.
/// </summary>
public abstract class CausalLanguageModel : TransformerModel
{
    /// <summary>A decoder named <paramref name="name"/> of shape <paramref name="config"/>.</summary>
    protected CausalLanguageModel(string name, ModelConfig config) : base(name, config) { }

    /// <summary>Token ids [B, T] → the final normed hidden states [B, T, D], reported to <paramref name="probe"/>. With a
    /// <paramref name="cache"/> the ids continue what it holds: their keys and values are appended to it.</summary>
    protected abstract Tensor Backbone(Tensor inputIds, ActivationProbe? probe, KvCache? cache = null);

    /// <summary>Whether positions are learned embeddings (GPT-2's wpe) rather than rotary: such a model cannot run past
    /// its last position, so a context limit re-reads a shorter window instead of evicting keys.</summary>
    public virtual bool LearnedPositions => false;

    /// <summary>The token embedding table [vocab, D], which a tied head multiplies by.</summary>
    protected abstract Tensor TokenEmbeddings { get; }

    /// <summary>The untied LM head, or null when it is tied to <see cref="TokenEmbeddings"/>.</summary>
    protected abstract LinearLayer? Head { get; }

    /// <summary>What the family does to the logits after the head (Gemma 2 soft-caps them); by default nothing.</summary>
    protected virtual Tensor FinishLogits(Tensor logits) => logits;

    /// <inheritdoc/>
    public sealed override Tensor ForwardHidden(Tensor input, Tensor? attentionMask = null, ActivationProbe? probe = null)
    {
        using var scope = NewDisposeScope();
        return Backbone(input, probe).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public sealed override Tensor Forward(Tensor input, Tensor? attentionMask = null, ActivationProbe? probe = null)
    {
        using var scope = NewDisposeScope();
        var hidden = Backbone(input, probe);
        var logits = Head is { } head ? head.forward(hidden) : matmul(hidden, TokenEmbeddings.t());
        return FinishLogits(logits).MoveToOuterDisposeScope();
    }

    /// <summary>The next-token logits [B, vocab] after <paramref name="inputIds"/> [B, T], which continue what
    /// <paramref name="cache"/> holds (and are appended to it). Only the last position goes through the head.</summary>
    public Tensor NextTokenLogits(Tensor inputIds, KvCache cache)
    {
        using var scope = NewDisposeScope();
        var hidden = Backbone(inputIds, null, cache)[.., -1];
        var logits = Head is { } head ? head.forward(hidden) : matmul(hidden, TokenEmbeddings.t());
        return FinishLogits(logits).MoveToOuterDisposeScope();
    }
}
