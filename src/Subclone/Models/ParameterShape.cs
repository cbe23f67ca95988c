namespace Subclone.Models;

/// <summary>
/// A parameter's Hugging Face name and shape, known from the config alone: checkpoints larger than memory are
/// written and checked against these without building the model.
/// </summary>
public sealed record ParameterShape(string Name, long[] Shape)
{
    /// <summary>Elements in the tensor: the product of its shape.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
