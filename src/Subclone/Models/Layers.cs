using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>GPT-2's Conv1D: a linear layer whose weight is stored [in, out] (transposed from nn.Linear),
/// kept in that layout so checkpoints round-trip without copies.</summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter bias;

    public Conv1D(long inFeatures, long outFeatures) : base(nameof(Conv1D))
    {
        weight = new Parameter(empty(inFeatures, outFeatures));
        bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => matmul(x, weight).add_(bias);
}

/// <summary>LayerNorm with HF's parameter names (weight, bias).</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter bias;
    readonly double _eps;

    public LayerNorm(long size, double eps) : base(nameof(LayerNorm))
    {
        weight = new Parameter(ones(size));
        bias = new Parameter(zeros(size));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, [weight.shape[0]], weight, bias, _eps);
}

/// <summary>Llama's RMSNorm: x / sqrt(mean(x²) + eps) · weight.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    readonly double _eps;

    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        _eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var inv = x.pow(2).mean([-1L], keepdim: true).add_(_eps).rsqrt_();
        return x.mul(inv).mul_(weight);
    }
}

/// <summary>An embedding table with HF's parameter name (weight).</summary>
public sealed class EmbeddingTable : nn.Module<Tensor, Tensor>
{
    public Parameter weight;

    public EmbeddingTable(long count, long dim) : base(nameof(EmbeddingTable))
    {
        weight = new Parameter(empty(count, dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        // libtorch reports an out-of-range id as a bare "index out of range in self"; name the problem instead.
        if (ids.numel() > 0 && (ids.max().item<long>() >= weight.shape[0] || ids.min().item<long>() < 0))
            throw new ArgumentException($"token id {ids.max().item<long>()} is outside the embedding table of {weight.shape[0]} rows");
        using var flat = ids.reshape(-1);
        using var rows = weight.index_select(0, flat);
        return rows.view([.. ids.shape, weight.shape[1]]);
    }
}

/// <summary>A linear layer with HF's names and nn.Linear's [out, in] weight layout.</summary>
public sealed class LinearLayer : nn.Module<Tensor, Tensor>
{
    public Parameter weight;
    public Parameter? bias;

    public LinearLayer(long inFeatures, long outFeatures, bool hasBias) : base(nameof(LinearLayer))
    {
        weight = new Parameter(empty(outFeatures, inFeatures));
        if (hasBias) bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight, bias);
}

/// <summary>Activation functions by their config.json names.</summary>
public static class Activations
{
    public static bool IsSupported(string name) => name is "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" or "gelu" or "relu" or "silu" or "swish";

    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => nn.functional.gelu(x, GELU.Approximate.tanh),
        "gelu" => nn.functional.gelu(x),
        "relu" => nn.functional.relu(x),
        "silu" or "swish" => nn.functional.silu(x),
        _ => throw new NotSupportedException($"activation '{name}' is not supported"),
    };
}
