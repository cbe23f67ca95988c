using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// LlamaForCausalLM (and Mistral / Qwen2, which share its layout): RMSNorm, rotary position embeddings in HF's
/// rotate-half layout, SwiGLU FFN, grouped-query attention, an explicit head_dim that may differ from
/// hidden/heads, and an optional untied lm_head. Qwen2 adds biases to q/k/v.
/// </summary>
public sealed class LlamaModel : CausalLanguageModel
{
    /// <summary>The backbone: embeddings, blocks and the final RMSNorm.</summary>
    public LlamaDecoder model;
    /// <summary>The LM head, [vocab, D]; null when tied to the token embeddings.</summary>
    public LinearLayer? lm_head;

    /// <summary>Builds the model for <paramref name="config"/> with HF's random initialisation (global RNG; see <see cref="TransformerModel.Create(ModelConfig, long)"/> for a seeded one).</summary>
    public LlamaModel(ModelConfig config) : base(nameof(LlamaModel), config)
    {
        model = new LlamaDecoder(config);
        if (!config.TieWordEmbeddings) lm_head = new LinearLayer(config.Hidden, config.Vocab, hasBias: false);
        RegisterComponents();
        InitializeWeights();
    }


    /// <inheritdoc/>
    protected override Tensor Backbone(Tensor inputIds, ActivationProbe? probe, KvCache? cache) => model.Forward(inputIds, probe, cache);

    /// <inheritdoc/>
    protected override Tensor TokenEmbeddings => model.embed_tokens.weight;

    /// <inheritdoc/>
    protected override LinearLayer? Head => lm_head;
}

/// <summary>Llama's "model.": token embeddings, the blocks (with rotary positions) and the final RMSNorm.</summary>
public sealed class LlamaDecoder : nn.Module
{
    /// <summary>Token embeddings, [vocab, D].</summary>
    public EmbeddingTable embed_tokens;
    /// <summary>The blocks.</summary>
    public ModuleList<LlamaBlock> layers;
    /// <summary>The final RMSNorm.</summary>
    public RmsNorm norm;
    readonly int _headDim;
    readonly RopeParameters _rope;

    /// <summary>The backbone for <paramref name="config"/>.</summary>
    public LlamaDecoder(ModelConfig config) : base(nameof(LlamaDecoder))
    {
        embed_tokens = new EmbeddingTable(config.Vocab, config.Hidden);
        layers = new ModuleList<LlamaBlock>(Enumerable.Range(0, config.Layers).Select(i => new LlamaBlock(config, i)).ToArray());
        norm = new RmsNorm(config.Hidden, config.NormEps);
        _headDim = config.HeadDim;
        _rope = config.Rope;
        RegisterComponents();
    }

    /// <summary>Token ids [B, T] → the final normed hidden states [B, T, D]; with a <paramref name="cache"/>, continuing it.</summary>
    public Tensor Forward(Tensor inputIds, ActivationProbe? probe, KvCache? cache = null)
    {
        var step = cache?.Begin(inputIds.shape[^1]);
        var (cos, sin) = step?.CosSin(_rope, _headDim) ?? Rotary.CosSin(_rope, _headDim, inputIds.shape[^1]);
        var x = embed_tokens.forward(inputIds);
        foreach (var block in layers) x = block.Forward(x, cos, sin, probe, step);
        return norm.forward(x);
    }
}

/// <summary>
/// A pre-RMSNorm block: x + attn(norm(x)), then + mlp(norm(·)). With <see cref="Families.LlamaOptions.PostSublayerNorms"/>
/// (OLMo 2) the norms move onto the sublayers' outputs instead: x + norm(attn(x)), then + norm(mlp(·)).
/// </summary>
public sealed class LlamaBlock : nn.Module
{
    /// <summary>RMSNorm before attention; null with post-sublayer norms.</summary>
    public RmsNorm? input_layernorm;
    /// <summary>Causal self-attention with rotary positions and grouped KV heads.</summary>
    public LlamaAttention self_attn;
    /// <summary>RMSNorm before the MLP, or (OLMo 2) on the attention's output.</summary>
    public RmsNorm post_attention_layernorm;
    /// <summary>The feed-forward network: the gated MLP or (Qwen3-MoE, OLMoE) a sparse mixture of experts; null in a
    /// Mixtral block, whose experts are <see cref="block_sparse_moe"/>.</summary>
    public FeedForward? mlp;
    /// <summary>Mixtral's sparse mixture of experts (its module name); null otherwise.</summary>
    public FeedForward? block_sparse_moe;
    /// <summary>OLMo 2: RMSNorm on the MLP's output; null otherwise.</summary>
    public RmsNorm? post_feedforward_layernorm;
    readonly int _layer;

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public LlamaBlock(ModelConfig config, int layer) : base(nameof(LlamaBlock))
    {
        bool postNorms = Families.LlamaOptions.Of(config).PostSublayerNorms;
        if (!postNorms) input_layernorm = new RmsNorm(config.Hidden, config.NormEps);
        self_attn = new LlamaAttention(config, layer);
        post_attention_layernorm = new RmsNorm(config.Hidden, config.NormEps);
        if (config.Family.Moe is { } moe && config.Moe!.IsSparse(layer))
        {
            var sparse = new SparseMoeBlock(config, moe, layer);
            if (moe.Module == nameof(block_sparse_moe)) block_sparse_moe = sparse; else mlp = sparse;
        }
        else mlp = new LlamaMlp(config, layer);
        if (postNorms) post_feedforward_layernorm = new RmsNorm(config.Hidden, config.NormEps);
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>Whichever feed-forward network the block has.</summary>
    FeedForward FeedForward => mlp ?? block_sparse_moe!;

    /// <summary>The residual stream through this block, with the rotary tables of <see cref="Rotary.CosSin(RopeParameters, int, long)"/>; reported to <paramref name="probe"/>; <paramref name="step"/>: a cached forward's.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, ActivationProbe? probe, KvStep? step = null)
    {
        Tensor y;
        if (post_feedforward_layernorm is null)
        {
            var h = x + self_attn.Forward(input_layernorm!.forward(x), cos, sin, probe, step);
            y = h + FeedForward.Forward(post_attention_layernorm.forward(h), probe);
        }
        else
        {
            var h = x + post_attention_layernorm.forward(self_attn.Forward(x, cos, sin, probe, step));
            y = h + post_feedforward_layernorm.forward(FeedForward.Forward(h, probe));
        }
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}

/// <summary>Causal attention with rotary positions; with GQA, each KV head serves heads / kv_heads consecutive query heads.</summary>
public sealed class LlamaAttention : nn.Module
{
    /// <summary>Query [H·hd, D], key and value [KV·hd, D], and output [D, H·hd] projections.</summary>
    public LinearLayer q_proj, k_proj, v_proj, o_proj;
    /// <summary>RMSNorm on queries and keys before RoPE (Qwen3: [hd] per head; OLMo 2: [H·hd], [KV·hd]); null for Llama.</summary>
    public RmsNorm? q_norm, k_norm;
    readonly int _heads, _kvHeads, _headDim, _layer;
    readonly bool _perHeadNorm;
    readonly int? _window;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public LlamaAttention(ModelConfig config, int layer) : base(nameof(LlamaAttention))
    {
        _heads = config.Heads;
        _kvHeads = config.KvHeads;
        _headDim = config.HeadDim;
        _layer = layer;
        q_proj = new LinearLayer(config.Hidden, (long)_heads * _headDim, config.AttentionBias);
        k_proj = new LinearLayer(config.Hidden, (long)_kvHeads * _headDim, config.AttentionBias);
        v_proj = new LinearLayer(config.Hidden, (long)_kvHeads * _headDim, config.AttentionBias);
        // Qwen2 has q/k/v biases but none on the output projection; Llama's attention_bias covers all four.
        var options = Families.LlamaOptions.Of(config);
        o_proj = new LinearLayer((long)_heads * _headDim, config.Hidden, config.AttentionBias && !options.QkvBiasOnly);
        _perHeadNorm = options.QkNorm == Families.QkNorm.PerHead;
        _window = Families.LlamaFamily.SlidingWindow(config, layer);
        if (options.QkNorm != Families.QkNorm.None)
        {
            q_norm = new RmsNorm(_perHeadNorm ? _headDim : (long)_heads * _headDim, config.NormEps);
            k_norm = new RmsNorm(_perHeadNorm ? _headDim : (long)_kvHeads * _headDim, config.NormEps);
        }
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the per-head outputs go to <paramref name="probe"/>. With a cached
    /// <paramref name="step"/> the keys and values join the cache and the queries attend to all it holds.</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, ActivationProbe? probe, KvStep? step = null)
    {
        long b = x.shape[0], t = x.shape[1];
        var q = Heads(q_proj.forward(x), q_norm, _heads);
        var k = Heads(k_proj.forward(x), k_norm, _kvHeads);
        q = Rotary.Apply(q, cos, sin);
        k = Rotary.Apply(k, cos, sin);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        if (step is not null) return Output(step.Attend(_layer, q, k, v, _window), probe);
        if (_kvHeads != _heads)
        {
            // HF's repeat_kv: query head h reads key/value head h / (heads / kv_heads).
            int groups = _heads / _kvHeads;
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        // A sliding window only binds on sequences longer than it; shorter ones take the plain causal kernel.
        var heads = _window is int window && t > window
            ? nn.functional.scaled_dot_product_attention(q, k, v, SlidingWindowMask(t, window))
            : nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        return Output(heads, probe);
    }

    /// <summary>The heads [B, H, T, hd], reported to <paramref name="probe"/>, merged and projected back to [B, T, D].</summary>
    Tensor Output(Tensor heads, ActivationProbe? probe)
    {
        probe?.OnHeadOutputs(_layer, heads);
        long b = heads.shape[0], t = heads.shape[2];
        return o_proj.forward(heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim));
    }

    /// <summary>[T, T], true where query i may attend to key j: i − window &lt; j ≤ i (HF's sliding_window_overlay).</summary>
    static Tensor SlidingWindowMask(long t, int window)
    {
        var query = arange(t).unsqueeze(1);
        var key = arange(t).unsqueeze(0);
        return key.le(query).logical_and(key.gt(query - window));
    }

    /// <summary>A projection [B, T, n·hd] as heads [B, n, T, hd], normed where the variant norms it (before RoPE).</summary>
    Tensor Heads(Tensor projected, RmsNorm? norm, int count)
    {
        long b = projected.shape[0], t = projected.shape[1];
        if (norm is not null && !_perHeadNorm) projected = norm.forward(projected);
        var heads = projected.view(b, t, count, _headDim);
        if (norm is not null && _perHeadNorm) heads = norm.forward(heads);
        return heads.transpose(1, 2);
    }
}

/// <summary>The gated feed-forward network: down(act(gate(x)) · up(x)).</summary>
public sealed class LlamaMlp : FeedForward
{
    /// <summary>Gate and up projections [F, D], and the down projection [D, F].</summary>
    public LinearLayer gate_proj, up_proj, down_proj;
    readonly string _activation;
    readonly int _layer;

    /// <summary>The MLP of block <paramref name="layer"/>.</summary>
    public LlamaMlp(ModelConfig config, int layer) : base(nameof(LlamaMlp))
    {
        gate_proj = new LinearLayer(config.Hidden, config.Ffn, config.MlpBias);
        up_proj = new LinearLayer(config.Hidden, config.Ffn, config.MlpBias);
        down_proj = new LinearLayer(config.Ffn, config.Hidden, config.MlpBias);
        _activation = config.Activation;
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the FFN neurons' activations go to <paramref name="probe"/>.</summary>
    public override Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        var hidden = Activations.Apply(_activation, gate_proj.forward(x)) * up_proj.forward(x);
        probe?.OnFfnHidden(_layer, hidden);
        return down_proj.forward(hidden);
    }
}
