using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>GPT-NeoX run one block at a time (streaming): embed_in, then each <see cref="GptNeoXLayer"/>.</summary>
public sealed class GptNeoXBlockwise(ModelConfig config) : BlockwiseForward(config)
{
    /// <inheritdoc/>
    public override (nn.Module Module, string Prefix) CreateEmbedding() => (new EmbeddingTable(Config.Vocab, Config.Hidden), "gpt_neox.embed_in.");

    /// <inheritdoc/>
    public override Tensor Embed(nn.Module embedding, Tensor inputIds) => ((EmbeddingTable)embedding).forward(inputIds);

    /// <inheritdoc/>
    protected override nn.Module NewBlock(int layer) => new GptNeoXLayer(Config, layer);

    /// <inheritdoc/>
    public override Tensor RunBlock(nn.Module block, Tensor hidden, Tensor? attentionMask, ActivationProbe? probe) =>
        ((GptNeoXLayer)block).Forward(hidden, GptNeoXLayer.Context(Config, hidden.shape[1]), probe);
}
