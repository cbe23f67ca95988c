using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma2ForCausalLM, and Gemma3ForCausalLM (text) through the named options of <see cref="GemmaSettings"/>
/// (q/k norms, local RoPE base): embeddings × √hidden, sandwich-normed blocks with GeGLU, alternating sliding and
/// full attention, soft-capped attention scores and logits, a head tied to the embeddings unless
/// tie_word_embeddings is false.
/// </summary>
public sealed class Gemma2Model : CausalLanguageModel
{
    /// <summary>The backbone: embeddings, blocks and the final norm.</summary>
    public Gemma2Decoder model;
    /// <summary>The LM head, [vocab, D]; null when tied to the token embeddings.</summary>
    public LinearLayer? lm_head;
    readonly double? _finalSoftcap;

    /// <summary>Builds the model for <paramref name="config"/> with HF's random initialisation (global RNG).</summary>
    public Gemma2Model(ModelConfig config) : base(nameof(Gemma2Model), config)
    {
        var settings = GemmaSettings.Of(config);
        model = new Gemma2Decoder(config, settings);
        if (!config.TieWordEmbeddings) lm_head = new LinearLayer(config.Hidden, config.Vocab, hasBias: false);
        _finalSoftcap = settings.FinalSoftcap;
        RegisterComponents();
        InitializeWeights();
    }

    /// <inheritdoc/>
    protected override Tensor Backbone(Tensor inputIds, ActivationProbe? probe, KvCache? cache) => model.Forward(inputIds, probe, cache);

    /// <inheritdoc/>
    protected override Tensor TokenEmbeddings => model.embed_tokens.weight;

    /// <inheritdoc/>
    protected override LinearLayer? Head => lm_head;

    /// <inheritdoc/>
    protected override Tensor FinishLogits(Tensor logits) => _finalSoftcap is double cap ? (logits / cap).tanh() * cap : logits;

    /// <summary>Gemma's forward cut into the scaled embedding and the blocks, for parents larger than memory.</summary>
    internal sealed class Blockwise(ModelConfig config) : BlockwiseForward(config)
    {
        readonly GemmaSettings _settings = GemmaSettings.Of(config);

        public override (nn.Module, string) CreateEmbedding() => (new EmbeddingTable(Config.Vocab, Config.Hidden), "model.embed_tokens.");

        public override Tensor Embed(nn.Module embedding, Tensor inputIds) => Gemma2Decoder.Embed((EmbeddingTable)embedding, inputIds);

        protected override nn.Module NewBlock(int layer) => new Gemma2Block(Config, _settings, layer);

        public override Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe) =>
            ((Gemma2Block)block).Forward(hidden, new GemmaPositions(Config, _settings, hidden.shape[1]), probe);
    }
}

/// <summary>Gemma's "model.": token embeddings scaled by √hidden, the blocks and the final (1+w) RMSNorm.</summary>
public sealed class Gemma2Decoder : nn.Module
{
    /// <summary>Token embeddings, [vocab, D].</summary>
    public EmbeddingTable embed_tokens;
    /// <summary>The blocks.</summary>
    public ModuleList<Gemma2Block> layers;
    /// <summary>The final norm.</summary>
    public GemmaRmsNorm norm;
    readonly ModelConfig _config;
    readonly GemmaSettings _settings;

    /// <summary>The backbone for <paramref name="config"/>.</summary>
    public Gemma2Decoder(ModelConfig config, GemmaSettings settings) : base(nameof(Gemma2Decoder))
    {
        embed_tokens = new EmbeddingTable(config.Vocab, config.Hidden);
        layers = new ModuleList<Gemma2Block>(Enumerable.Range(0, config.Layers).Select(i => new Gemma2Block(config, settings, i)).ToArray());
        norm = new GemmaRmsNorm(config.Hidden, config.NormEps);
        _config = config;
        _settings = settings;
        RegisterComponents();
    }

    /// <summary>The residual stream entering block 0: the embedding rows × √hidden.</summary>
    public static Tensor Embed(EmbeddingTable embed_tokens, Tensor inputIds)
    {
        var x = embed_tokens.forward(inputIds);
        // HF builds the normaliser as a tensor of the hidden states' dtype (√3072 = 55.4256 becomes 55.5 in bf16).
        using var normalizer = tensor(Math.Sqrt(x.shape[^1]), dtype: x.dtype);
        return x * normalizer;
    }

    /// <summary>Token ids [B, T] → the final normed hidden states [B, T, D]; with a <paramref name="cache"/>, continuing it.</summary>
    public Tensor Forward(Tensor inputIds, ActivationProbe? probe, KvCache? cache = null)
    {
        var positions = cache is null
            ? new GemmaPositions(_config, _settings, inputIds.shape[^1])
            : new GemmaPositions(_config, _settings, cache.Begin(inputIds.shape[^1]));
        var x = Embed(embed_tokens, inputIds);
        foreach (var block in layers) x = block.Forward(x, positions, probe);
        return norm.forward(x);
    }
}
