using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// ViTForImageClassification: patches from a strided convolution, a learned [CLS] token and learned positions,
/// pre-LayerNorm blocks with a GELU FFN, a final LayerNorm and a linear classifier on the [CLS] token.
/// Parameter names are HF's ("vit." prefix, "classifier." head). Images are the sequence: the [CLS] token is
/// position 0 and patches follow in row-major order, so activation hooks see [B, patches + 1, D] like text.
/// </summary>
public sealed class VitModel : TransformerModel
{
    /// <summary>The backbone: embeddings, blocks and the final LayerNorm.</summary>
    public VitBackbone vit;
    /// <summary>The classifier on the [CLS] token, [labels, D].</summary>
    public LinearLayer classifier;

    /// <summary>Builds the classifier for <paramref name="config"/> with HF's random initialisation (global RNG; see <see cref="TransformerModel.Create(ModelConfig, long)"/> for a seeded one).</summary>
    public VitModel(ModelConfig config) : base(nameof(VitModel), config)
    {
        vit = new VitBackbone(config);
        classifier = new LinearLayer(config.Hidden, config.Labels, hasBias: true);
        RegisterComponents();
        InitializeWeights();
    }

    /// <summary>
    /// <paramref name="inputIds"/> holds pixel values here, [B, num_channels, image_size, image_size] float
    /// (already normalised, as HF's image processor leaves them); the shared signature names text's input.
    /// There is no padding in an image, so <paramref name="attentionMask"/> must be null. Returns logits [B, labels].
    /// </summary>
    public override Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, ActivationProbe? probe = null)
    {
        if (attentionMask is not null) throw new ArgumentException("ViT takes no attention mask: every patch of an image is real");
        using var scope = NewDisposeScope();
        var hidden = vit.Forward(inputIds, probe);
        using var cls = hidden.select(1, 0);
        return classifier.forward(cls).MoveToOuterDisposeScope();
    }
}

/// <summary>ViTModel without its pooler (ViTForImageClassification builds it with add_pooling_layer=False).</summary>
public sealed class VitBackbone : nn.Module
{
    /// <summary>Patch, [CLS] and position embeddings.</summary>
    public VitEmbeddings embeddings;
    /// <summary>The blocks.</summary>
    public VitEncoder encoder;
    /// <summary>The final LayerNorm.</summary>
    public LayerNorm layernorm;

    /// <summary>The backbone for <paramref name="config"/>.</summary>
    public VitBackbone(ModelConfig config) : base(nameof(VitBackbone))
    {
        embeddings = new VitEmbeddings(config);
        encoder = new VitEncoder(config);
        layernorm = new LayerNorm(config.Hidden, config.NormEps);
        RegisterComponents();
    }

    /// <summary>The final hidden states [B, patches + 1, D], after the final LayerNorm.</summary>
    public Tensor Forward(Tensor pixelValues, ActivationProbe? probe) =>
        layernorm.forward(encoder.Forward(embeddings.Forward(pixelValues), probe));
}

/// <summary>The input layer: [CLS] and patch embeddings, plus learned positions.</summary>
public sealed class VitEmbeddings : nn.Module
{
    /// <summary>The [CLS] token, [1, 1, D].</summary>
    public Parameter cls_token;
    /// <summary>Learned positions, [1, patches + 1, D].</summary>
    public Parameter position_embeddings;
    /// <summary>The patch projection.</summary>
    public VitPatchEmbeddings patch_embeddings;

    /// <summary>The embeddings for <paramref name="config"/>.</summary>
    public VitEmbeddings(ModelConfig config) : base(nameof(VitEmbeddings))
    {
        cls_token = new Parameter(empty(1, 1, config.Hidden));
        position_embeddings = new Parameter(empty(1, config.Patches + 1, config.Hidden));
        patch_embeddings = new VitPatchEmbeddings(config);
        RegisterComponents();
    }

    /// <summary>[CLS] followed by the patch embeddings, plus positions: [B, patches + 1, D].</summary>
    public Tensor Forward(Tensor pixelValues)
    {
        var patches = patch_embeddings.Forward(pixelValues);
        var cls = cls_token.expand(patches.shape[0], -1, -1);
        return cat([cls, patches], 1).add_(position_embeddings);
    }
}

/// <summary>Cuts images into patches and projects each to D.</summary>
public sealed class VitPatchEmbeddings : nn.Module
{
    /// <summary>The strided convolution.</summary>
    public PatchProjection projection;
    readonly int _channels, _imageSize;

    /// <summary>The patch embedding for <paramref name="config"/>'s channels, patch size and image size.</summary>
    public VitPatchEmbeddings(ModelConfig config) : base(nameof(VitPatchEmbeddings))
    {
        projection = new PatchProjection(config.Channels, config.Hidden, config.PatchSize);
        _channels = config.Channels;
        _imageSize = config.ImageSize;
        RegisterComponents();
    }

    /// <summary>[B, C, S, S] → [B, patches, D]. Checked as HF checks: a wrong size would otherwise fail later
    /// with a shape error about position embeddings rather than about the image.</summary>
    public Tensor Forward(Tensor pixelValues)
    {
        if (pixelValues.dim() != 4 || !pixelValues.is_floating_point())
            throw new ArgumentException($"ViT expects float pixel values [batch, channels, height, width], got {pixelValues.dtype} [{string.Join(", ", pixelValues.shape)}]");
        if (pixelValues.shape[1] != _channels)
            throw new ArgumentException($"images have {pixelValues.shape[1]} channels but the model's num_channels is {_channels}");
        if (pixelValues.shape[2] != _imageSize || pixelValues.shape[3] != _imageSize)
            throw new ArgumentException($"images are {pixelValues.shape[2]}×{pixelValues.shape[3]} but the model's image_size is {_imageSize}");
        return projection.forward(pixelValues).flatten(2).transpose(1, 2);
    }
}

/// <summary>nn.Conv2d(C, D, kernel_size=patch, stride=patch) with HF's parameter names: weight [D, C, p, p], bias [D].</summary>
public sealed class PatchProjection : nn.Module<Tensor, Tensor>
{
    /// <summary>The kernel, [D, C, p, p].</summary>
    public Parameter weight;
    /// <summary>The bias, [D].</summary>
    public Parameter bias;
    readonly long _patch;

    /// <summary>An uninitialised kernel and a zero bias; the model's init rule fills them.</summary>
    public PatchProjection(long channels, long hidden, long patch) : base(nameof(PatchProjection))
    {
        weight = new Parameter(empty(hidden, channels, patch, patch));
        bias = new Parameter(zeros(hidden));
        _patch = patch;
        RegisterComponents();
    }

    /// <summary>[B, C, S, S] → [B, D, S/p, S/p].</summary>
    public override Tensor forward(Tensor x) => nn.functional.conv2d(x, weight, bias, strides: [_patch, _patch]);
}

/// <summary>The stack of blocks.</summary>
public sealed class VitEncoder : nn.Module
{
    /// <summary>The blocks.</summary>
    public ModuleList<VitLayer> layer;

    /// <summary>The blocks for <paramref name="config"/>.</summary>
    public VitEncoder(ModelConfig config) : base(nameof(VitEncoder))
    {
        layer = new ModuleList<VitLayer>(Enumerable.Range(0, config.Layers).Select(i => new VitLayer(config, i)).ToArray());
        RegisterComponents();
    }

    /// <summary>[B, patches + 1, D] through every block.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        foreach (var l in layer) x = l.Forward(x, probe);
        return x;
    }
}

/// <summary>A pre-LN block: x + attn(LN(x)), then + FFN(LN(·)).</summary>
public sealed class VitLayer : nn.Module
{
    /// <summary>Self-attention and its output projection.</summary>
    public VitAttention attention;
    /// <summary>The FFN's up projection.</summary>
    public VitIntermediate intermediate;
    /// <summary>The FFN's down projection.</summary>
    public VitOutput output;
    /// <summary>LayerNorms before attention and before the FFN.</summary>
    public LayerNorm layernorm_before, layernorm_after;
    readonly int _layer;
    readonly string _activation;

    /// <summary>Block <paramref name="layer"/> (the index activation hooks report).</summary>
    public VitLayer(ModelConfig config, int layer) : base(nameof(VitLayer))
    {
        attention = new VitAttention(config, layer);
        intermediate = new VitIntermediate(config);
        output = new VitOutput(config);
        layernorm_before = new LayerNorm(config.Hidden, config.NormEps);
        layernorm_after = new LayerNorm(config.Hidden, config.NormEps);
        _layer = layer;
        _activation = config.Activation;
        RegisterComponents();
    }

    /// <summary>The residual stream through this block, reported to <paramref name="probe"/>.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        var h = attention.Forward(layernorm_before.forward(x), probe) + x;
        var hidden = Activations.Apply(_activation, intermediate.dense.forward(layernorm_after.forward(h)));
        probe?.OnFfnHidden(_layer, hidden);
        var y = output.dense.forward(hidden) + h;
        probe?.OnBlock(_layer, x, y);
        return y;
    }
}

/// <summary>Self-attention followed by its output projection.</summary>
public sealed class VitAttention : nn.Module
{
    /// <summary>The q/k/v projections and the attention itself.</summary>
    public VitSelfAttention attention;
    /// <summary>The output projection.</summary>
    public VitSelfOutput output;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public VitAttention(ModelConfig config, int layer) : base(nameof(VitAttention))
    {
        attention = new VitSelfAttention(config, layer);
        output = new VitSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>dense(attention(x)), without the residual (<see cref="VitLayer"/> adds it).</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe) => output.dense.forward(attention.Forward(x, probe));
}

/// <summary>Bidirectional multi-head attention over [CLS] and the patches.</summary>
public sealed class VitSelfAttention : nn.Module
{
    /// <summary>Query, key and value projections, [H·hd, D] each (biased when qkv_bias).</summary>
    public LinearLayer query, key, value;
    readonly int _heads, _headDim, _layer;

    /// <summary>The attention of block <paramref name="layer"/>.</summary>
    public VitSelfAttention(ModelConfig config, int layer) : base(nameof(VitSelfAttention))
    {
        _heads = config.Heads;
        _headDim = config.HeadDim;
        _layer = layer;
        long inner = (long)_heads * _headDim;
        query = new LinearLayer(config.Hidden, inner, config.AttentionBias);
        key = new LinearLayer(config.Hidden, inner, config.AttentionBias);
        value = new LinearLayer(config.Hidden, inner, config.AttentionBias);
        RegisterComponents();
    }

    /// <summary>Bidirectional attention over [CLS] and every patch; no mask.</summary>
    public Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor Split(LinearLayer proj) => proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var heads = nn.functional.scaled_dot_product_attention(Split(query), Split(key), Split(value));
        probe?.OnHeadOutputs(_layer, heads);
        return heads.transpose(1, 2).reshape(b, t, (long)_heads * _headDim);
    }
}

/// <summary>The attention's output projection.</summary>
public sealed class VitSelfOutput : nn.Module
{
    /// <summary>Output projection, [D, H·hd].</summary>
    public LinearLayer dense;

    /// <summary>The output projection for <paramref name="config"/>.</summary>
    public VitSelfOutput(ModelConfig config) : base(nameof(VitSelfOutput))
    {
        dense = new LinearLayer((long)config.Heads * config.HeadDim, config.Hidden, true);
        RegisterComponents();
    }
}

/// <summary>The FFN's up projection (activation applied by <see cref="VitLayer"/>).</summary>
public sealed class VitIntermediate : nn.Module
{
    /// <summary>Up projection, [F, D].</summary>
    public LinearLayer dense;

    /// <summary>The up projection for <paramref name="config"/>.</summary>
    public VitIntermediate(ModelConfig config) : base(nameof(VitIntermediate))
    {
        dense = new LinearLayer(config.Hidden, config.Ffn, true);
        RegisterComponents();
    }
}

/// <summary>The FFN's down projection.</summary>
public sealed class VitOutput : nn.Module
{
    /// <summary>Down projection, [D, F].</summary>
    public LinearLayer dense;

    /// <summary>The down projection for <paramref name="config"/>.</summary>
    public VitOutput(ModelConfig config) : base(nameof(VitOutput))
    {
        dense = new LinearLayer(config.Ffn, config.Hidden, true);
        RegisterComponents();
    }
}
