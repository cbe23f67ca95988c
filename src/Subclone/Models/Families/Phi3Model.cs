using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// Phi3ForCausalLM (Phi-3 and Phi-4-mini), as HF's modeling_phi3.py computes it: Llama's pre-RMSNorm block with
/// q, k and v fused into one <c>qkv_proj</c> ([q | k | v], sizes heads·hd, kv·hd, kv·hd), gate and up fused into
/// one <c>gate_up_proj</c> ([gate; up]), head_dim = hidden / heads, rotary embeddings on the first
/// <c>partial_rotary_factor</c>·head_dim dims of each head, and a sliding-window causal mask.
/// </summary>
public sealed class Phi3Model : CausalLanguageModel
{
    /// <summary>The backbone: embeddings, blocks and the final RMSNorm.</summary>
    public Phi3Decoder model;
    /// <summary>The LM head, [vocab, D]; null when tied to the token embeddings.</summary>
    public LinearLayer? lm_head;

    /// <summary>Builds the model for <paramref name="config"/> with HF's random initialisation (global RNG).</summary>
    public Phi3Model(ModelConfig config) : base(nameof(Phi3Model), config)
    {
        model = new Phi3Decoder(config);
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

/// <summary>Phi-3's "model.": token embeddings, the blocks and the final RMSNorm.</summary>
public sealed class Phi3Decoder : nn.Module
{
    /// <summary>Token embeddings, [vocab, D].</summary>
    public EmbeddingTable embed_tokens;
    /// <summary>The blocks.</summary>
    public ModuleList<Phi3Block> layers;
    /// <summary>The final RMSNorm.</summary>
    public RmsNorm norm;
    readonly ModelConfig _config;

    /// <summary>The backbone for <paramref name="config"/>.</summary>
    public Phi3Decoder(ModelConfig config) : base(nameof(Phi3Decoder))
    {
        embed_tokens = new EmbeddingTable(config.Vocab, config.Hidden);
        layers = new ModuleList<Phi3Block>(Enumerable.Range(0, config.Layers).Select(i => new Phi3Block(config, i)).ToArray());
        norm = new RmsNorm(config.Hidden, config.NormEps);
        _config = config;
        RegisterComponents();
    }

    /// <summary>Token ids [B, T] → the final normed hidden states [B, T, D]; with a <paramref name="cache"/>, continuing it.</summary>
    public Tensor Forward(Tensor inputIds, ActivationProbe? probe, KvCache? cache = null)
    {
        var context = cache is null
            ? Phi3Block.Context(_config, inputIds.shape[^1])
            : AttentionContext.For(_config, cache.Begin(inputIds.shape[^1]), Phi3Family.SlidingWindow(_config));
        var x = embed_tokens.forward(inputIds);
        foreach (var block in layers) x = block.Forward(x, context, probe);
        return norm.forward(x);
    }
}

/// <summary>A pre-RMSNorm block, as Llama's: x + attn(norm(x)), then + mlp(norm(·)).</summary>
public sealed class Phi3Block : nn.Module
{
    /// <summary>RMSNorm before attention.</summary>
    public RmsNorm input_layernorm;
    /// <summary>Causal self-attention with the fused q/k/v projection.</summary>
    public Phi3Attention self_attn;
    /// <summary>RMSNorm before the MLP.</summary>
    public RmsNorm post_attention_layernorm;
    /// <summary>The gated feed-forward network with the fused gate/up projection.</summary>
    public Phi3Mlp mlp;
    readonly int _layer;

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public Phi3Block(ModelConfig config, int layer) : base(nameof(Phi3Block))
    {
        input_layernorm = new RmsNorm(config.Hidden, config.NormEps);
        self_attn = new Phi3Attention(config, layer);
        post_attention_layernorm = new RmsNorm(config.Hidden, config.NormEps);
        mlp = new Phi3Mlp(config, layer);
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>What every block of a length-<paramref name="length"/> forward shares: rotary tables and the mask.</summary>
    public static AttentionContext Context(ModelConfig config, long length) =>
        AttentionContext.For(config, length, Phi3Family.SlidingWindow(config));

    /// <summary>The residual stream through this block; activations go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, AttentionContext context, ActivationProbe? probe)
    {
        var h = x + self_attn.Forward(input_layernorm.forward(x), context, probe);
        var y = h + mlp.Forward(post_attention_layernorm.forward(h), probe);
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}

/// <summary>Grouped-query attention whose q, k and v come out of one projection, [q | k | v] on its output axis.</summary>
public sealed class Phi3Attention : nn.Module
{
    /// <summary>The fused projection, [(H + 2·KV)·hd, D]: query rows first, then key rows, then value rows.</summary>
    public LinearLayer qkv_proj;
    /// <summary>The output projection, [D, H·hd].</summary>
    public LinearLayer o_proj;
    readonly int _heads, _kvHeads, _headDim, _layer;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public Phi3Attention(ModelConfig config, int layer) : base(nameof(Phi3Attention))
    {
        _heads = config.Heads;
        _kvHeads = config.KvHeads;
        _headDim = config.HeadDim;
        _layer = layer;
        qkv_proj = new LinearLayer(config.Hidden, (long)(_heads + 2 * _kvHeads) * _headDim, hasBias: false);
        o_proj = new LinearLayer((long)_heads * _headDim, config.Hidden, hasBias: false);
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the per-head outputs go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, AttentionContext context, ActivationProbe? probe)
    {
        long b = x.shape[0], t = x.shape[1], q = (long)_heads * _headDim, kv = (long)_kvHeads * _headDim;
        var qkv = qkv_proj.forward(x);
        var query = qkv[.., .., ..(int)q].view(b, t, _heads, _headDim).transpose(1, 2);
        var key = qkv[.., .., (int)q..(int)(q + kv)].view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var value = qkv[.., .., (int)(q + kv)..].view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var heads = context.Attend(query, key, value, _layer);
        probe?.OnHeadOutputs(_layer, heads);
        return o_proj.forward(heads.transpose(1, 2).reshape(b, t, q));
    }
}

/// <summary>The gated feed-forward network with gate and up in one projection: down(up · act(gate)).</summary>
public sealed class Phi3Mlp : nn.Module
{
    /// <summary>The fused projection, [2F, D]: the gate's F rows, then the up projection's F rows.</summary>
    public LinearLayer gate_up_proj;
    /// <summary>The down projection, [D, F].</summary>
    public LinearLayer down_proj;
    readonly string _activation;
    readonly int _layer;

    /// <summary>The MLP of block <paramref name="layer"/>.</summary>
    public Phi3Mlp(ModelConfig config, int layer) : base(nameof(Phi3Mlp))
    {
        gate_up_proj = new LinearLayer(config.Hidden, 2L * config.Ffn, hasBias: false);
        down_proj = new LinearLayer(config.Ffn, config.Hidden, hasBias: false);
        _activation = config.Activation;
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>[B, T, D] → [B, T, D]; the FFN neurons' activations go to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        var gateUp = gate_up_proj.forward(x).chunk(2, -1);
        var hidden = gateUp[1] * Activations.Apply(_activation, gateUp[0]);
        probe?.OnFfnHidden(_layer, hidden);
        return down_proj.forward(hidden);
    }
}
