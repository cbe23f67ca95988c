using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>A block's feed-forward network, dense (<see cref="LlamaMlp"/>) or a mixture of experts (<see cref="SparseMoeBlock"/>).</summary>
public abstract class FeedForward(string name) : nn.Module(name)
{
    /// <summary>[B, T, D] → [B, T, D], reporting its activations to <paramref name="probe"/>.</summary>
    public abstract Tensor Forward(Tensor x, ActivationProbe? probe);
}
