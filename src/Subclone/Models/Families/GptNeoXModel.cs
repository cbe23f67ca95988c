using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// GPTNeoXForCausalLM (GPT-NeoX, Pythia), as HF's modeling_gpt_neox.py computes it: LayerNorms and linear layers
/// with biases, q/k/v fused per head in <c>query_key_value</c> (output axis [heads, 3, head_dim] flattened),
/// rotary embeddings on the first <c>rotary_pct</c>·head_dim dims of each head, a GELU MLP, the parallel residual
/// x + attn(ln1(x)) + mlp(ln2(x)) (or the sequential form), and an untied <c>embed_out</c> head.
/// </summary>
public sealed class GptNeoXModel : CausalLanguageModel
{
    /// <summary>The backbone: embeddings, blocks and the final LayerNorm.</summary>
    public GptNeoXBackbone gpt_neox;
    /// <summary>The LM head, [vocab, D]; null when tied to the input embeddings.</summary>
    public LinearLayer? embed_out;

    /// <summary>Builds the model for <paramref name="config"/> with HF's random initialisation (global RNG).</summary>
    public GptNeoXModel(ModelConfig config) : base(nameof(GptNeoXModel), config)
    {
        gpt_neox = new GptNeoXBackbone(config);
        if (!config.TieWordEmbeddings) embed_out = new LinearLayer(config.Hidden, config.Vocab, hasBias: false);
        RegisterComponents();
        InitializeWeights();
    }

    /// <inheritdoc/>
    protected override Tensor Backbone(Tensor inputIds, ActivationProbe? probe, KvCache? cache) => gpt_neox.Forward(inputIds, probe, cache);

    /// <inheritdoc/>
    protected override Tensor TokenEmbeddings => gpt_neox.embed_in.weight;

    /// <inheritdoc/>
    protected override LinearLayer? Head => embed_out;
}

/// <summary>GPT-NeoX's "gpt_neox.": input embeddings, the layers and the final LayerNorm.</summary>
public sealed class GptNeoXBackbone : nn.Module
{
    /// <summary>Token embeddings, [vocab, D].</summary>
    public EmbeddingTable embed_in;
    /// <summary>The blocks.</summary>
    public ModuleList<GptNeoXLayer> layers;
    /// <summary>The final LayerNorm.</summary>
    public LayerNorm final_layer_norm;
    readonly ModelConfig _config;

    /// <summary>The backbone for <paramref name="config"/>.</summary>
    public GptNeoXBackbone(ModelConfig config) : base(nameof(GptNeoXBackbone))
    {
        embed_in = new EmbeddingTable(config.Vocab, config.Hidden);
        layers = new ModuleList<GptNeoXLayer>(Enumerable.Range(0, config.Layers).Select(i => new GptNeoXLayer(config, i)).ToArray());
        final_layer_norm = new LayerNorm(config.Hidden, config.NormEps);
        _config = config;
        RegisterComponents();
    }

    /// <summary>Token ids [B, T] → the final normed hidden states [B, T, D]; with a <paramref name="cache"/>, continuing it.</summary>
    public Tensor Forward(Tensor inputIds, ActivationProbe? probe, KvCache? cache = null)
    {
        var context = cache is null
            ? GptNeoXLayer.Context(_config, inputIds.shape[^1])
            : AttentionContext.For(_config, cache.Begin(inputIds.shape[^1]), slidingWindow: null);
        var x = embed_in.forward(inputIds);
        foreach (var layer in layers) x = layer.Forward(x, context, probe);
        return final_layer_norm.forward(x);
    }
}

/// <summary>
/// A GPT-NeoX block. Parallel: x + attn(ln1(x)) + mlp(ln2(x)), both sublayers reading the block's input.
/// Sequential (use_parallel_residual false): h = x + attn(ln1(x)), then h + mlp(ln2(h)).
/// </summary>
public sealed class GptNeoXLayer : nn.Module
{
    /// <summary>LayerNorm before attention.</summary>
    public LayerNorm input_layernorm;
    /// <summary>LayerNorm before the MLP (of the block input when parallel).</summary>
    public LayerNorm post_attention_layernorm;
    /// <summary>Causal self-attention with the per-head fused q/k/v projection.</summary>
    public GptNeoXAttention attention;
    /// <summary>The feed-forward network.</summary>
    public GptNeoXMlp mlp;
    readonly bool _parallel;
    readonly int _layer;

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public GptNeoXLayer(ModelConfig config, int layer) : base(nameof(GptNeoXLayer))
    {
        input_layernorm = new LayerNorm(config.Hidden, config.NormEps);
        post_attention_layernorm = new LayerNorm(config.Hidden, config.NormEps);
        attention = new GptNeoXAttention(config, layer);
        mlp = new GptNeoXMlp(config, layer);
        _parallel = GptNeoXFamily.ParallelResidual(config);
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>What every block of a length-<paramref name="length"/> forward shares: the rotary tables.</summary>
    public static AttentionContext Context(ModelConfig config, long length) =>
        AttentionContext.For(config, length, slidingWindow: null);

    /// <summary>The residual stream through this block; activations go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, AttentionContext context, ActivationProbe? probe)
    {
        var attended = attention.Forward(input_layernorm.forward(x), context, probe);
        Tensor y;
        if (_parallel) y = x + attended + mlp.Forward(post_attention_layernorm.forward(x), probe);
        else
        {
            var h = x + attended;
            y = h + mlp.Forward(post_attention_layernorm.forward(h), probe);
        }
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}

/// <summary>Multi-head attention whose projection output is laid out per head: [q_h | k_h | v_h] for h = 0, 1, ….</summary>
public sealed class GptNeoXAttention : nn.Module
{
    /// <summary>The fused projection, [3D, D]: rows h·3·hd … (h+1)·3·hd − 1 are head h's query, key and value.</summary>
    public LinearLayer query_key_value;
    /// <summary>The output projection, [D, D].</summary>
    public LinearLayer dense;
    readonly int _heads, _headDim, _layer;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public GptNeoXAttention(ModelConfig config, int layer) : base(nameof(GptNeoXAttention))
    {
        _heads = config.Heads;
        _headDim = config.HeadDim;
        _layer = layer;
        long width = (long)_heads * _headDim;
        query_key_value = new LinearLayer(config.Hidden, 3 * width, config.AttentionBias);
        dense = new LinearLayer(width, config.Hidden, config.AttentionBias);
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the per-head outputs go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, AttentionContext context, ActivationProbe? probe)
    {
        long b = x.shape[0], t = x.shape[1];
        // [B, T, H·3·hd] → [B, H, T, 3·hd]; each head's slice holds its query, key and value in that order.
        var qkv = query_key_value.forward(x).view(b, t, _heads, 3 * _headDim).transpose(1, 2);
        var parts = qkv.chunk(3, -1);
        var heads = context.Attend(parts[0], parts[1], parts[2], _layer);
        probe?.OnHeadOutputs(_layer, heads);
        return dense.forward(heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim));
    }
}

/// <summary>The feed-forward network: dense_4h_to_h(act(dense_h_to_4h(x))).</summary>
public sealed class GptNeoXMlp : nn.Module
{
    /// <summary>The up projection [F, D] and the down projection [D, F], both with biases.</summary>
    public LinearLayer dense_h_to_4h, dense_4h_to_h;
    readonly string _activation;
    readonly int _layer;

    /// <summary>The MLP of block <paramref name="layer"/>.</summary>
    public GptNeoXMlp(ModelConfig config, int layer) : base(nameof(GptNeoXMlp))
    {
        dense_h_to_4h = new LinearLayer(config.Hidden, config.Ffn, hasBias: true);
        dense_4h_to_h = new LinearLayer(config.Ffn, config.Hidden, hasBias: true);
        _activation = config.Activation;
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the FFN neurons' activations go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        var hidden = Activations.Apply(_activation, dense_h_to_4h.forward(x));
        probe?.OnFfnHidden(_layer, hidden);
        return dense_4h_to_h.forward(hidden);
    }
}
