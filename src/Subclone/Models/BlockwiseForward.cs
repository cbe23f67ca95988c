using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// A model's forward pass cut into its embedding and its blocks, each built as a module of its own and loaded
/// separately, so a model larger than memory runs with one block's weights in memory at a time. The modules and
/// operations are the whole model's own, so on the same inputs each step computes bit for bit what the whole
/// model computes there. The final norm and head are left out: block statistics don't need them.
/// </summary>
public abstract class BlockwiseForward
{
    /// <summary>For a model of <paramref name="config"/>.</summary>
    protected BlockwiseForward(ModelConfig config) => Config = config;

    /// <summary>The model's shape.</summary>
    public ModelConfig Config { get; }

    /// <summary>The blockwise pass of <paramref name="config"/>'s family, as its descriptor builds it (ViT has none).</summary>
    public static BlockwiseForward For(ModelConfig config) => config.Family.Blockwise is { } create
        ? create(config)
        // Bad input, not a bug: --streaming (or a parent too large for memory) asked for a family without a blockwise pass.
        : throw new UserInputException($"{config.ArchitectureName} cannot be run block by block, so it cannot be streamed (--streaming); clone it in memory");

    /// <summary>An empty module for the embedding, and the prefix that turns its state_dict keys into checkpoint names.</summary>
    public abstract (nn.Module Module, string Prefix) CreateEmbedding();

    /// <summary>The residual stream entering block 0, [B, T, D].</summary>
    public abstract Tensor Embed(nn.Module embedding, Tensor inputIds);

    /// <summary>An empty module for block <paramref name="layer"/> (its hooks report that layer), and its name prefix
    /// (the family's <see cref="Families.ModelFamily.BlockPrefix"/>).</summary>
    public (nn.Module Module, string Prefix) CreateBlock(int layer) => (NewBlock(layer), Config.Family.BlockPrefixAt(layer));

    /// <summary>An empty module for block <paramref name="layer"/>, whose hooks report that layer.</summary>
    protected abstract nn.Module NewBlock(int layer);

    /// <summary>The block's output for one batch's hidden states; <paramref name="attentionMask"/> is the batch's [B, T] 1/0 mask.</summary>
    public abstract Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe);

    /// <summary>
    /// An in-memory model's own embedding module and blocks, found under the names <see cref="CreateEmbedding"/> and
    /// <see cref="CreateBlock"/> give (which are the model's parameter names), so that <see cref="Embed"/> and
    /// <see cref="RunBlock"/> run the model one block at a time without copying a weight. Null when a module is not
    /// where its name says.
    /// </summary>
    public (nn.Module Embedding, nn.Module[] Blocks)? Borrow(TransformerModel model)
    {
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        nn.Module? Find(string prefix) => modules.GetValueOrDefault(prefix.TrimEnd('.'));
        // The empty module is built only for its prefix: its storage is allocated but never written, so never resident.
        var (empty, embeddingPrefix) = CreateEmbedding();
        empty.Dispose();
        var embedding = Find(embeddingPrefix);
        var blocks = Enumerable.Range(0, Config.Layers).Select(l => Find(Config.Family.BlockPrefixAt(l))).ToArray();
        if (embedding is null || blocks.Any(b => b is null)) return null;
        return (embedding, blocks.Select(b => b!).ToArray());
    }

    internal sealed class Gpt2(ModelConfig config) : BlockwiseForward(config)
    {
        /// <summary>GPT-2's two embedding tables under their names in Gpt2Transformer.</summary>
        sealed class Embeddings : nn.Module
        {
            public EmbeddingTable wte, wpe;

            public Embeddings(ModelConfig c) : base(nameof(Embeddings))
            {
                wte = new EmbeddingTable(c.Vocab, c.Hidden);
                wpe = new EmbeddingTable(c.MaxPositions, c.Hidden);
                RegisterComponents();
            }
        }

        public override (nn.Module, string) CreateEmbedding() => (new Embeddings(Config), "transformer.");

        /// <summary>Either the streamed tables or a whole model's "transformer." (<see cref="BlockwiseForward.Borrow"/>), which holds the same two.</summary>
        public override Tensor Embed(nn.Module embedding, Tensor inputIds) => embedding switch
        {
            Embeddings e => Gpt2Transformer.Embed(e.wte, e.wpe, inputIds),
            Gpt2Transformer t => Gpt2Transformer.Embed(t.wte, t.wpe, inputIds),
            _ => throw new ArgumentException($"{embedding.GetType().Name} is not GPT-2's embeddings"),
        };

        protected override nn.Module NewBlock(int layer) => new Gpt2Block(Config, layer);

        public override Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe) =>
            ((Gpt2Block)block).Forward(hidden, probe);
    }

    internal sealed class Llama(ModelConfig config) : BlockwiseForward(config)
    {
        public override (nn.Module, string) CreateEmbedding() => (new EmbeddingTable(Config.Vocab, Config.Hidden), "model.embed_tokens.");

        public override Tensor Embed(nn.Module embedding, Tensor inputIds) => ((EmbeddingTable)embedding).forward(inputIds);

        protected override nn.Module NewBlock(int layer) => new LlamaBlock(Config, layer);

        public override Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe)
        {
            var (cos, sin) = Rotary.CosSin(Config.Rope, Config.HeadDim, hidden.shape[1]);
            return ((LlamaBlock)block).Forward(hidden, cos, sin, probe);
        }
    }

    internal sealed class Bert(ModelConfig config) : BlockwiseForward(config)
    {
        public override (nn.Module, string) CreateEmbedding() => (new BertEmbeddings(Config), "embeddings.");

        public override Tensor Embed(nn.Module embedding, Tensor inputIds) => ((BertEmbeddings)embedding).Forward(inputIds);

        protected override nn.Module NewBlock(int layer) => new BertLayer(Config, layer);

        public override Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe) =>
            ((BertLayer)block).Forward(hidden, BertModel.AdditiveMask(attentionMask), probe);
    }
}
