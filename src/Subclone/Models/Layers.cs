using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>GPT-2's Conv1D: a linear layer whose weight is stored [in, out] (transposed from nn.Linear),
/// kept in that layout so checkpoints round-trip without copies.</summary>
public sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    /// <summary>The weight, [in, out].</summary>
    public Parameter weight;
    /// <summary>The bias, [out].</summary>
    public Parameter bias;

    /// <summary>A zero bias and an uninitialised weight; the model's init rule fills it.</summary>
    public Conv1D(long inFeatures, long outFeatures) : base(nameof(Conv1D))
    {
        weight = new Parameter(empty(inFeatures, outFeatures));
        bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    /// <summary>x · weight + bias.</summary>
    public override Tensor forward(Tensor x) => matmul(x, weight).add_(bias);
}

/// <summary>LayerNorm with HF's parameter names (weight, bias).</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    /// <summary>The scale γ, [size].</summary>
    public Parameter weight;
    /// <summary>The shift β, [size].</summary>
    public Parameter bias;
    readonly double _eps;

    /// <summary>γ = 1, β = 0, normalising the last axis of <paramref name="size"/> with <paramref name="eps"/>.</summary>
    public LayerNorm(long size, double eps) : base(nameof(LayerNorm))
    {
        weight = new Parameter(ones(size));
        bias = new Parameter(zeros(size));
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>Normalises the last axis to zero mean and unit variance, then scales and shifts.</summary>
    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, [weight.shape[0]], weight, bias, _eps);
}

/// <summary>Llama's RMSNorm: x / sqrt(mean(x²) + eps) · weight.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    /// <summary>The scale, [size].</summary>
    public Parameter weight;
    readonly double _eps;

    /// <summary>Scale 1, normalising the last axis of <paramref name="size"/> with <paramref name="eps"/>.</summary>
    public RmsNorm(long size, double eps) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size));
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>Divides the last axis by its root mean square, then scales.</summary>
    public override Tensor forward(Tensor x)
    {
        using var inv = x.pow(2).mean([-1L], keepdim: true).add_(_eps).rsqrt_();
        return x.mul(inv).mul_(weight);
    }
}

/// <summary>An embedding table with HF's parameter name (weight).</summary>
public sealed class EmbeddingTable : nn.Module<Tensor, Tensor>
{
    /// <summary>The table, [count, dim].</summary>
    public Parameter weight;

    /// <summary>An uninitialised table of <paramref name="count"/> rows of <paramref name="dim"/>; the model's init rule fills it.</summary>
    public EmbeddingTable(long count, long dim) : base(nameof(EmbeddingTable))
    {
        weight = new Parameter(empty(count, dim));
        RegisterComponents();
    }

    /// <summary>The rows of <paramref name="ids"/>: [..ids.shape, dim]. An id outside the table is an <see cref="ArgumentException"/> naming it.</summary>
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
    /// <summary>The weight, [out, in].</summary>
    public Parameter weight;
    /// <summary>The bias, [out], or null without one.</summary>
    public Parameter? bias;

    /// <summary>An uninitialised weight and, with <paramref name="hasBias"/>, a zero bias; the model's init rule fills them.</summary>
    public LinearLayer(long inFeatures, long outFeatures, bool hasBias) : base(nameof(LinearLayer))
    {
        weight = new Parameter(empty(outFeatures, inFeatures));
        if (hasBias) bias = new Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    /// <summary>x · weightᵀ (+ bias).</summary>
    public override Tensor forward(Tensor x) => nn.functional.linear(x, weight, bias);
}

/// <summary>Activation functions by their config.json names.</summary>
public static class Activations
{
    /// <summary>Whether <paramref name="name"/> (hidden_act / activation_function) is one Subclone implements.</summary>
    public static bool IsSupported(string name) => name is "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" or "gelu" or "relu" or "silu" or "swish";

    /// <summary>Applies the activation <paramref name="name"/> element-wise.</summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => nn.functional.gelu(x, GELU.Approximate.tanh),
        "gelu" => nn.functional.gelu(x),
        "relu" => nn.functional.relu(x),
        "silu" or "swish" => nn.functional.silu(x),
        _ => throw new NotSupportedException($"activation '{name}' is not supported"),
    };
}
