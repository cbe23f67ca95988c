using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// Copies named tensors into a model's parameters, checking each name, dtype and shape against what the
/// config implies, and at the end that nothing is missing. Errors name the file and the tensor.
/// </summary>
internal sealed class WeightLoader(TransformerModel model, bool allowNonFinite = false)
{
    readonly Dictionary<string, Tensor> _parameters = model.state_dict();
    readonly HashSet<string> _loaded = [];

    /// <summary>Tensors that held NaN or ±Inf (only non-empty when they are allowed).</summary>
    public List<string> NonFinite { get; } = [];

    public ScalarType? StoredDtype { get; private set; }

    public void Load(string origin, string fileKey, ScalarType dtype, long[] shape, Func<Tensor> read)
    {
        string? name = model.CanonicalName(fileKey);
        if (name is null) return;
        if (!_parameters.TryGetValue(name, out var target))
            throw new CheckpointException(origin, $"tensor '{fileKey}' is not a parameter of {model.Config.ArchitectureName}");
        if (!_loaded.Add(name))
            throw new CheckpointException(origin, $"tensor '{fileKey}' is stored twice");
        if (dtype is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new CheckpointException(origin, $"tensor '{fileKey}' has dtype {SafeTensorsDtype.NameOf(dtype)}; weights must be F32, F16 or BF16");
        if (!shape.SequenceEqual(target.shape))
            throw new CheckpointException(origin, $"tensor '{fileKey}' has shape [{string.Join(", ", shape)}] but config.json implies [{string.Join(", ", target.shape)}]");
        StoredDtype ??= dtype;
        using var _ = no_grad();
        using var value = read();
        // A parent with NaN or Inf weights poisons importance scores and every child; refuse unless asked not to.
        if (!value.isfinite().all().item<bool>())
        {
            if (!allowNonFinite)
                throw new CheckpointException(origin, $"tensor '{fileKey}' contains NaN or Inf values (pass --allow-nan to load it anyway)");
            NonFinite.Add(fileKey);
        }
        target.copy_(value);
    }

    public void CheckComplete(string origin)
    {
        var missing = _parameters.Keys.Where(k => !_loaded.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(origin, $"is missing tensor '{missing[0]}'" + (missing.Count > 1 ? $" and {missing.Count - 1} more" : ""));
    }
}
