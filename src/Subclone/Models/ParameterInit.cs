using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// How Hugging Face initialises one parameter: a constant (zero biases, unit norms) or N(0, std). Decided per
/// name from the config, so a random checkpoint can be generated tensor by tensor without the model.
/// </summary>
public sealed record ParameterInit(double Constant, double? Std)
{
    /// <summary>Zero: biases (and anything HF zero-fills).</summary>
    public static ParameterInit Zero { get; } = new(0, null);
    /// <summary>One: norm weights.</summary>
    public static ParameterInit One { get; } = new(1, null);
    /// <summary>N(0, <paramref name="std"/>): weight matrices and embeddings.</summary>
    public static ParameterInit Normal(double std) => new(0, std);

    /// <summary>HF's rule shared by every family: biases zero, norm weights one, everything else N(0, std).</summary>
    public static ParameterInit Standard(string name, bool isNorm, double std) =>
        name.EndsWith(".bias") ? Zero : isNorm ? One : Normal(std);

    /// <summary>Fills <paramref name="parameter"/> in place; a null generator draws from torch's global one.</summary>
    public void Apply(Tensor parameter, Generator? generator = null)
    {
        using var _ = no_grad();
        if (Std is double std) parameter.normal_(0, std, generator);
        else parameter.fill_(Constant);
    }
}
