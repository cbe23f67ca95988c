using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>Phi-3 run one block at a time (streaming): the embedding table, then each <see cref="Phi3Block"/>.</summary>
public sealed class Phi3Blockwise(ModelConfig config) : BlockwiseForward(config)
{
    /// <inheritdoc/>
    public override (nn.Module Module, string Prefix) CreateEmbedding() => (new EmbeddingTable(Config.Vocab, Config.Hidden), "model.embed_tokens.");

    /// <inheritdoc/>
    public override Tensor Embed(nn.Module embedding, Tensor inputIds) => ((EmbeddingTable)embedding).forward(inputIds);

    /// <inheritdoc/>
    protected override nn.Module NewBlock(int layer) => new Phi3Block(Config, layer);

    /// <inheritdoc/>
    public override Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe) =>
        ((Phi3Block)block).Forward(hidden, Phi3Block.Context(Config, hidden.shape[1]), probe);
}
