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
    public BertEmbeddings embeddings;
    public BertEncoder encoder;
    public BertPooler? pooler;

    public BertModel(ModelConfig config, bool withPooler = true) : base(nameof(BertModel), config)
    {
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        if (withPooler) pooler = new BertPooler(config);
        RegisterComponents();
        InitializeWeights();
    }


    internal static ParameterInit InitRule(ModelConfig c, string name) =>
        ParameterInit.Standard(name, isNorm: name.Contains("LayerNorm"), std: c.InitializerRange);

    internal static string? CanonicalKey(string fileKey)
    {
        if (fileKey.EndsWith("position_ids")) return null;  // a buffer older checkpoints saved
        if (fileKey.StartsWith("bert.")) fileKey = fileKey["bert.".Length..];
        if (fileKey.StartsWith("cls.")) return null;  // pretraining heads are not part of BertModel
        return fileKey;
    }

    internal static IEnumerable<ParameterShape> Shapes(ModelConfig c, bool withPooler)
    {
        long d = c.Hidden, inner = (long)c.Heads * c.HeadDim, f = c.Ffn;
        IEnumerable<ParameterShape> Linear(string name, long output, long input) =>
            [new(name + ".weight", [output, input]), new(name + ".bias", [output])];
        IEnumerable<ParameterShape> Norm(string name) => [new(name + ".weight", [d]), new(name + ".bias", [d])];

        yield return new("embeddings.word_embeddings.weight", [c.Vocab, d]);
        yield return new("embeddings.position_embeddings.weight", [c.MaxPositions, d]);
        yield return new("embeddings.token_type_embeddings.weight", [c.TypeVocab, d]);
        foreach (var s in Norm("embeddings.LayerNorm")) yield return s;
        for (int i = 0; i < c.Layers; i++)
        {
            string p = $"encoder.layer.{i}.";
            foreach (var s in Linear(p + "attention.self.query", inner, d)
                .Concat(Linear(p + "attention.self.key", inner, d))
                .Concat(Linear(p + "attention.self.value", inner, d))
                .Concat(Linear(p + "attention.output.dense", d, inner))
                .Concat(Norm(p + "attention.output.LayerNorm"))
                .Concat(Linear(p + "intermediate.dense", f, d))
                .Concat(Linear(p + "output.dense", d, f))
                .Concat(Norm(p + "output.LayerNorm")))
                yield return s;
        }
        if (withPooler)
            foreach (var s in Linear("pooler.dense", d, d)) yield return s;
    }

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

public sealed class BertEmbeddings : nn.Module
{
    public EmbeddingTable word_embeddings, position_embeddings, token_type_embeddings;
    public LayerNorm LayerNorm;

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

public sealed class BertEncoder : nn.Module
{
    public ModuleList<BertLayer> layer;

    public BertEncoder(ModelConfig config) : base(nameof(BertEncoder))
    {
        layer = new ModuleList<BertLayer>(Enumerable.Range(0, config.Layers).Select(i => new BertLayer(config, i)).ToArray());
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe)
    {
        foreach (var l in layer) x = l.Forward(x, mask, probe);
        return x;
    }
}

public sealed class BertLayer : nn.Module
{
    public BertAttention attention;
    public BertIntermediate intermediate;
    public BertOutput output;
    readonly int _layer;
    readonly string _activation;

    public BertLayer(ModelConfig config, int layer) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config, layer);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        _layer = layer;
        _activation = config.Activation;
        RegisterComponents();
    }

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

public sealed class BertAttention : nn.Module
{
    public BertSelfAttention self;
    public BertSelfOutput output;

    public BertAttention(ModelConfig config, int layer) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config, layer);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe) =>
        output.LayerNorm.forward(output.dense.forward(self.Forward(x, mask, probe)) + x);
}

public sealed class BertSelfAttention : nn.Module
{
    public LinearLayer query, key, value;
    readonly int _heads, _headDim, _layer;

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

    public Tensor Forward(Tensor x, Tensor? mask, ActivationProbe? probe)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor Split(LinearLayer proj) => proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var heads = nn.functional.scaled_dot_product_attention(Split(query), Split(key), Split(value), attn_mask: mask);
        probe?.OnHeadOutputs(_layer, heads);
        return heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim);
    }
}

public sealed class BertSelfOutput : nn.Module
{
    public LinearLayer dense;
    public LayerNorm LayerNorm;

    public BertSelfOutput(ModelConfig config) : base(nameof(BertSelfOutput))
    {
        dense = new LinearLayer((long)config.Heads * config.HeadDim, config.Hidden, true);
        LayerNorm = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }
}

public sealed class BertIntermediate : nn.Module
{
    public LinearLayer dense;

    public BertIntermediate(ModelConfig config) : base(nameof(BertIntermediate))
    {
        dense = new LinearLayer(config.Hidden, config.Ffn, true);
        RegisterComponents();
    }
}

public sealed class BertOutput : nn.Module
{
    public LinearLayer dense;
    public LayerNorm LayerNorm;

    public BertOutput(ModelConfig config) : base(nameof(BertOutput))
    {
        dense = new LinearLayer(config.Ffn, config.Hidden, true);
        LayerNorm = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }
}

public sealed class BertPooler : nn.Module
{
    public LinearLayer dense;

    public BertPooler(ModelConfig config) : base(nameof(BertPooler))
    {
        dense = new LinearLayer(config.Hidden, config.Hidden, true);
        RegisterComponents();
    }
}
