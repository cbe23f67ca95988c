using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// GPT2LMHeadModel: learned positions, pre-LayerNorm blocks, Conv1D projections stored [in, out], and an LM
/// head tied to the token embeddings unless tie_word_embeddings is false. Parameter names are HF's, with the
/// "transformer." prefix that save_pretrained writes.
/// </summary>
public sealed class Gpt2Model : CausalLanguageModel
{
    /// <summary>The backbone: embeddings, blocks and the final LayerNorm.</summary>
    public Gpt2Transformer transformer;
    /// <summary>The LM head, [vocab, D]; null when tied to the token embeddings.</summary>
    public LinearLayer? lm_head;

    /// <summary>Builds the model for <paramref name="config"/> with HF's random initialisation (global RNG; see <see cref="TransformerModel.Create(ModelConfig, long)"/> for a seeded one).</summary>
    public Gpt2Model(ModelConfig config) : base(nameof(Gpt2Model), config)
    {
        transformer = new Gpt2Transformer(config);
        if (!config.TieWordEmbeddings) lm_head = new LinearLayer(config.Hidden, config.Vocab, hasBias: false);
        RegisterComponents();
        InitializeWeights();
    }


    /// <inheritdoc/>
    protected override Tensor Backbone(Tensor inputIds, ActivationProbe? probe, KvCache? cache) => transformer.Forward(inputIds, probe, cache);

    /// <inheritdoc/>
    public override bool LearnedPositions => true;

    /// <inheritdoc/>
    protected override Tensor TokenEmbeddings => transformer.wte.weight;

    /// <inheritdoc/>
    protected override LinearLayer? Head => lm_head;
}

/// <summary>GPT-2's "transformer.": token and position embeddings, the blocks and the final LayerNorm.</summary>
public sealed class Gpt2Transformer : nn.Module
{
    /// <summary>Token embeddings, [vocab, D].</summary>
    public EmbeddingTable wte;
    /// <summary>Learned position embeddings, [n_positions, D].</summary>
    public EmbeddingTable wpe;
    /// <summary>The blocks.</summary>
    public ModuleList<Gpt2Block> h;
    /// <summary>The final LayerNorm.</summary>
    public LayerNorm ln_f;

    /// <summary>The backbone for <paramref name="config"/>.</summary>
    public Gpt2Transformer(ModelConfig config) : base(nameof(Gpt2Transformer))
    {
        wte = new EmbeddingTable(config.Vocab, config.Hidden);
        wpe = new EmbeddingTable(config.MaxPositions, config.Hidden);
        h = new ModuleList<Gpt2Block>(Enumerable.Range(0, config.Layers).Select(i => new Gpt2Block(config, i)).ToArray());
        ln_f = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }

    /// <summary>Token ids [B, T] → the final normed hidden states [B, T, D]; with a <paramref name="cache"/>, continuing it.</summary>
    public Tensor Forward(Tensor inputIds, ActivationProbe? probe, KvCache? cache = null)
    {
        var step = cache?.Begin(inputIds.shape[^1]);
        var x = Embed(wte, wpe, inputIds, step?.Positions);
        foreach (var block in h) x = block.Forward(x, probe, step);
        return ln_f.forward(x);
    }

    /// <summary>Token plus learned position embeddings: the residual stream entering block 0. Positions are
    /// 0 … T − 1 unless given ([B, T], a cached step's).</summary>
    public static Tensor Embed(EmbeddingTable wte, EmbeddingTable wpe, Tensor inputIds, Tensor? positions = null)
    {
        long t = inputIds.shape[^1], last = positions is null ? t : positions.max().item<long>() + 1;
        if (last > wpe.weight.shape[0]) throw new ArgumentException($"sequence of {last} tokens exceeds n_positions {wpe.weight.shape[0]}");
        positions ??= arange(t, dtype: ScalarType.Int64);
        return wte.forward(inputIds) + wpe.forward(positions);
    }
}

/// <summary>A pre-LayerNorm block: x + attn(ln_1(x)), then + mlp(ln_2(·)).</summary>
public sealed class Gpt2Block : nn.Module
{
    /// <summary>LayerNorm before attention.</summary>
    public LayerNorm ln_1;
    /// <summary>Causal self-attention.</summary>
    public Gpt2Attention attn;
    /// <summary>LayerNorm before the MLP.</summary>
    public LayerNorm ln_2;
    /// <summary>The feed-forward network.</summary>
    public Gpt2Mlp mlp;
    readonly int _layer;

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public Gpt2Block(ModelConfig config, int layer) : base(nameof(Gpt2Block))
    {
        ln_1 = new LayerNorm(config.Hidden, config.NormEps);
        attn = new Gpt2Attention(config, layer);
        ln_2 = new LayerNorm(config.Hidden, config.NormEps);
        mlp = new Gpt2Mlp(config, layer);
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>The residual stream through this block, reported to <paramref name="probe"/>; <paramref name="step"/>: a cached forward's.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe, KvStep? step = null)
    {
        var h = x + attn.Forward(ln_1.forward(x), probe, step);
        var y = h + mlp.Forward(ln_2.forward(h), probe);
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}

/// <summary>Causal multi-head attention with a fused q/k/v projection.</summary>
public sealed class Gpt2Attention : nn.Module
{
    /// <summary>Fused q/k/v projection, [D, 3·H·head_dim]: the output columns are [q | k | v].</summary>
    public Conv1D c_attn;
    /// <summary>Output projection, [H·head_dim, D].</summary>
    public Conv1D c_proj;
    readonly int _heads, _headDim, _layer;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public Gpt2Attention(ModelConfig config, int layer) : base(nameof(Gpt2Attention))
    {
        _heads = config.Heads;
        _headDim = config.HeadDim;
        _layer = layer;
        c_attn = new Conv1D(config.Hidden, 3L * config.Heads * config.HeadDim);
        c_proj = new Conv1D((long)config.Heads * config.HeadDim, config.Hidden);
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the per-head outputs go to <paramref name="probe"/>. With a cached
    /// <paramref name="step"/> the keys and values join the cache and the queries attend to all it holds.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe, KvStep? step = null)
    {
        long b = x.shape[0], t = x.shape[1];
        var qkv = c_attn.forward(x).view(b, t, 3, _heads, _headDim).permute(2, 0, 3, 1, 4);  // [3, B, H, T, hd]
        var heads = step is null
            ? nn.functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_casual: true)
            : step.Attend(_layer, qkv[0], qkv[1], qkv[2], window: null);
        probe?.OnHeadOutputs(_layer, heads);
        return c_proj.forward(heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim));
    }
}

/// <summary>The feed-forward network: c_proj(act(c_fc(x))).</summary>
public sealed class Gpt2Mlp : nn.Module
{
    /// <summary>Up projection, [D, F].</summary>
    public Conv1D c_fc;
    /// <summary>Down projection, [F, D].</summary>
    public Conv1D c_proj;
    readonly string _activation;
    readonly int _layer;

    /// <summary>The MLP of block <paramref name="layer"/>.</summary>
    public Gpt2Mlp(ModelConfig config, int layer) : base(nameof(Gpt2Mlp))
    {
        c_fc = new Conv1D(config.Hidden, config.Ffn);
        c_proj = new Conv1D(config.Ffn, config.Hidden);
        _activation = config.Activation;
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the FFN neurons' activations go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        var hidden = Activations.Apply(_activation, c_fc.forward(x));
        probe?.OnFfnHidden(_layer, hidden);
        return c_proj.forward(hidden);
    }
}
