using Subclone.Models;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// Checks the tensors a checkpoint names against the parameters its config implies: each name, dtype and shape,
/// no tensor twice, and at the end that nothing is missing. Errors name the file and the tensor. Only headers are
/// needed, so a checkpoint is checked before any of its weights are read.
/// </summary>
internal sealed class WeightCheck(ModelConfig config, IReadOnlyList<ParameterShape> expected)
{
    readonly Dictionary<string, long[]> _shapes = expected.ToDictionary(p => p.Name, p => p.Shape);
    readonly HashSet<string> _seen = [];

    /// <summary>The dtype of the first accepted tensor: the checkpoint's stored dtype.</summary>
    public ScalarType? StoredDtype { get; private set; }

    /// <summary>Checks one tensor; returns the parameter it fills, or null for a tensor the model ignores.</summary>
    public string? Accept(string origin, string fileKey, ScalarType dtype, long[] shape)
    {
        string? name = TransformerModel.CanonicalNameFor(config, fileKey);
        if (name is null) return null;
        if (!_shapes.TryGetValue(name, out var target))
            throw new CheckpointException(origin, $"tensor '{fileKey}' is not a parameter of {config.ArchitectureName}");
        if (!_seen.Add(name))
            throw new CheckpointException(origin, $"tensor '{fileKey}' is stored twice");
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new CheckpointException(origin, $"tensor '{fileKey}' has dtype {SafeTensorsDtype.NameOf(dtype)}; weights must be F32, F16 or BF16");
        if (!shape.SequenceEqual(target))
            throw new CheckpointException(origin, $"tensor '{fileKey}' has shape [{string.Join(", ", shape)}] but config.json implies [{string.Join(", ", target)}]");
        StoredDtype ??= dtype;
        return name;
    }

    public void CheckComplete(string origin)
    {
        var missing = expected.Select(p => p.Name).Where(n => !_seen.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(origin, $"is missing tensor '{missing[0]}'" + (missing.Count > 1 ? $" and {missing.Count - 1} more" : ""));
    }
}
