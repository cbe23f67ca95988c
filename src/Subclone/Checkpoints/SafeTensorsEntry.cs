using TorchSharp;

namespace Subclone.Checkpoints;

/// <summary>One tensor's header record: its stored dtype, shape and byte range within the data section.</summary>
public sealed record SafeTensorsEntry(string Name, torch.ScalarType Dtype, long[] Shape, long Begin, long End)
{
    /// <summary>Elements in the tensor: the product of its shape.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}
