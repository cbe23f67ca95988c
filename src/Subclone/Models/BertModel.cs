using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// BertModel (the encoder, as sentence-embedding models use it): word + position + token-type embeddings,
/// post-LayerNorm blocks, GELU FFN, padding mask. Forward returns last_hidden_state [B, T, D].
/// </summary>
public sealed class BertModel : TransformerModel
{
    /// <summary>Word, position and token-type embeddings with their LayerNorm.</summary>
    public BertEmbeddings embeddings;
    /// <summary>The blocks.</summary>
    public BertEncoder encoder;
    /// <summary>The [CLS] pooler; null when the checkpoint has none (sentence-transformers models often do not).</summary>
    public BertPooler? pooler;

    /// <summary>Builds the encoder for <paramref name="config"/>, with or without the pooler, with HF's random initialisation (global RNG).</summary>
    public BertModel(ModelConfig config, bool withPooler = true) : base(nameof(BertModel), config)
    {
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        if (withPooler) pooler = new BertPooler(config);
        RegisterComponents();
        InitializeWeights();
    }


    /// <inheritdoc/>
    public override Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, ActivationProbe? probe = null)
    {
        using var scope = NewDisposeScope();
        var x = embeddings.Forward(inputIds);
        var hidden = encoder.Forward(x, AdditiveMask(attentionMask), probe);
        return hidden.MoveToOuterDisposeScope();
    }

    /// <summary>[B, T] of 1/0 → [B, 1, 1, T] of 0/-∞-ish, added to the attention scores (HF uses dtype min).</summary>
    public static Tensor? AdditiveMask(Tensor? attentionMask) => attentionMask is null ? null
        : (1 - attentionMask.to_type(ScalarType.Float32)).mul(float.MinValue).view(attentionMask.shape[0], 1, 1, attentionMask.shape[1]);
}

/// <summary>The embedding layer: LayerNorm(word + position + token type).</summary>
public sealed class BertEmbeddings : nn.Module
{
    /// <summary>Tables: word [vocab, D], position [max_positions, D], token type [type_vocab, D].</summary>
    public EmbeddingTable word_embeddings, position_embeddings, token_type_embeddings;
    /// <summary>The embeddings' LayerNorm.</summary>
    public LayerNorm LayerNorm;

    /// <summary>The embeddings for <paramref name="config"/>.</summary>
    public BertEmbeddings(ModelConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = new EmbeddingTable(config.Vocab, config.Hidden);
        position_embeddings = new EmbeddingTable(config.MaxPositions, config.Hidden);
        token_type_embeddings = new EmbeddingTable(config.TypeVocab, config.Hidden);
        LayerNorm = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }

    /// <summary>Token types are all zero: sentence-embedding models take single segments.</summary>
    public Tensor Forward(Tensor inputIds)
    {
        long t = inputIds.shape[^1];
        if (t > position_embeddings.weight.shape[0]) throw new ArgumentException($"sequence of {t} tokens exceeds max_position_embeddings {position_embeddings.weight.shape[0]}");
        var positions = arange(t, dtype: ScalarType.Int64);
        var types = zeros_like(inputIds);
        return LayerNorm.forward(word_embeddings.forward(inputIds) + position_embeddings.forward(positions) + token_type_embeddings.forward(types));
    }
}

/// <summary>The stack of blocks.</summary>
public sealed class BertEncoder : nn.Module
{
    /// <summary>The blocks.</summary>
    public ModuleList<BertLayer> layer;

    /// <summary>The blocks for <paramref name="config"/>.</summary>
    public BertEncoder(ModelConfig config) : base(nameof(BertEncoder))
    {
        layer = new ModuleList<BertLayer>(Enumerable.Range(0, config.Layers).Select(i => new BertLayer(config, i)).ToArray());
        RegisterComponents();
    }

    /// <summary>[B, T, D] through every block, with the additive padding <paramref name="mask"/> (or none).</summary>
    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe)
    {
        foreach (var l in layer) x = l.Forward(x, mask, probe);
        return x;
    }
}

/// <summary>A post-LayerNorm block: attention with its residual and norm, then the FFN with its residual and norm.</summary>
public sealed class BertLayer : nn.Module
{
    /// <summary>Self-attention with its output projection and LayerNorm.</summary>
    public BertAttention attention;
    /// <summary>The FFN's up projection.</summary>
    public BertIntermediate intermediate;
    /// <summary>The FFN's down projection and LayerNorm.</summary>
    public BertOutput output;
    readonly int _layer;
    readonly string _activation;

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public BertLayer(ModelConfig config, int layer) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config, layer);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        _layer = layer;
        _activation = config.Activation;
        RegisterComponents();
    }

    /// <summary>The residual stream through this block, reported to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe)
    {
        var h = attention.Forward(x, mask, probe);
        var hidden = Activations.Apply(_activation, intermediate.dense.forward(h));
        probe?.OnFfnHidden(_layer, hidden);
        var y = output.LayerNorm.forward(output.dense.forward(hidden) + h);
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}

/// <summary>Self-attention followed by its output projection, residual and LayerNorm.</summary>
public sealed class BertAttention : nn.Module
{
    /// <summary>The q/k/v projections and the attention itself.</summary>
    public BertSelfAttention self;
    /// <summary>Output projection and LayerNorm.</summary>
    public BertSelfOutput output;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public BertAttention(ModelConfig config, int layer) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config, layer);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>LayerNorm(x + dense(attention(x))).</summary>
    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe) =>
        output.LayerNorm.forward(output.dense.forward(self.Forward(x, mask, probe)) + x);
}

/// <summary>Bidirectional multi-head attention, masked at padding.</summary>
public sealed class BertSelfAttention : nn.Module
{
    /// <summary>Query, key and value projections, [H·hd, D] each.</summary>
    public LinearLayer query, key, value;
    readonly int _heads, _headDim, _layer;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public BertSelfAttention(ModelConfig config, int layer) : base(nameof(BertSelfAttention))
    {
        _heads = config.Heads;
        _headDim = config.HeadDim;
        _layer = layer;
        long inner = (long)_heads * _headDim;
        query = new LinearLayer(config.Hidden, inner, true);
        key = new LinearLayer(config.Hidden, inner, true);
        value = new LinearLayer(config.Hidden, inner, true);
        RegisterComponents();
    }

    /// <summary>[B, T, D] → the concatenated head outputs [B, T, H·hd]; the per-head outputs go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor Split(LinearLayer proj) => proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var heads = nn.functional.scaled_dot_product_attention(Split(query), Split(key), Split(value), attn_mask: mask);
        probe?.OnHeadOutputs(_layer, heads);
        return heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim);
    }
}

/// <summary>The attention's output projection and LayerNorm.</summary>
public sealed class BertSelfOutput : nn.Module
{
    /// <summary>Output projection, [D, H·hd].</summary>
    public LinearLayer dense;
    /// <summary>LayerNorm after the attention residual.</summary>
    public LayerNorm LayerNorm;

    /// <summary>The output projection and norm for <paramref name="config"/>.</summary>
    public BertSelfOutput(ModelConfig config) : base(nameof(BertSelfOutput))
    {
        dense = new LinearLayer((long)config.Heads * config.HeadDim, config.Hidden, true);
        LayerNorm = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }
}

/// <summary>The FFN's up projection (activation applied by <see cref="BertLayer"/>).</summary>
public sealed class BertIntermediate : nn.Module
{
    /// <summary>Up projection, [F, D].</summary>
    public LinearLayer dense;

    /// <summary>The up projection for <paramref name="config"/>.</summary>
    public BertIntermediate(ModelConfig config) : base(nameof(BertIntermediate))
    {
        dense = new LinearLayer(config.Hidden, config.Ffn, true);
        RegisterComponents();
    }
}

/// <summary>The FFN's down projection and the block's final LayerNorm.</summary>
public sealed class BertOutput : nn.Module
{
    /// <summary>Down projection, [D, F].</summary>
    public LinearLayer dense;
    /// <summary>LayerNorm after the FFN residual.</summary>
    public LayerNorm LayerNorm;

    /// <summary>The down projection and norm for <paramref name="config"/>.</summary>
    public BertOutput(ModelConfig config) : base(nameof(BertOutput))
    {
        dense = new LinearLayer(config.Ffn, config.Hidden, true);
        LayerNorm = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }
}

/// <summary>BERT's pooler (tanh(dense([CLS]))): kept so checkpoints that have it round-trip.</summary>
public sealed class BertPooler : nn.Module
{
    /// <summary>The pooler's projection, [D, D].</summary>
    public LinearLayer dense;

    /// <summary>The pooler for <paramref name="config"/>.</summary>
    public BertPooler(ModelConfig config) : base(nameof(BertPooler))
    {
        dense = new LinearLayer(config.Hidden, config.Hidden, true);
        RegisterComponents();
    }
}
