using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// Gemma's RMSNorm (Gemma2RMSNorm): x / sqrt(mean(x²) + eps) · (1 + weight), computed in float32 and cast back
/// afterwards (Llama casts before the scale; Gemma scales first). The weight is stored zero-centred, so HF
/// initialises it to 0, which is the identity scale.
/// </summary>
public sealed class GemmaRmsNorm : nn.Module<Tensor, Tensor>
{
    /// <summary>The scale minus one, [size].</summary>
    public Parameter weight;
    readonly double _eps;

    /// <summary>Weight 0 (scale 1), normalising the last axis of <paramref name="size"/> with <paramref name="eps"/>.</summary>
    public GemmaRmsNorm(long size, double eps) : base(nameof(GemmaRmsNorm))
    {
        weight = new Parameter(zeros(size));
        _eps = eps;
        RegisterComponents();
    }

    /// <summary>Divides the last axis by its root mean square, then scales by 1 + weight.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * x32.pow(2).mean([-1L], keepdim: true).add(_eps).rsqrt();
        var scaled = normed * (weight.to_type(ScalarType.Float32) + 1.0);
        return scaled.to_type(x.dtype).MoveToOuterDisposeScope();
    }
}
