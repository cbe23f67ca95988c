using Subclone.Checkpoints;

namespace Subclone.Models.Families;

/// <summary>Builds a mixture-of-experts family from the dense family whose blocks it shares, stating only the delta:
/// the block's MLP rows become the dense MLP where a block is dense and the router plus experts where it is sparse,
/// and the routing fields are read and written under the layout's keys.</summary>
public static class MoeFamilies
{
    /// <summary><paramref name="dense"/>'s descriptor with <paramref name="layout"/>'s sparse blocks.</summary>
    public static ModelFamily WithExperts(ModelFamily dense, MoeLayout layout)
    {
        string mlp = dense.BlockPrefix + "mlp.";
        var rows = dense.Parameters.ToList();
        int first = rows.FindIndex(r => r.Name.StartsWith(mlp, StringComparison.Ordinal));
        var denseMlp = rows.Where(r => r.Name.StartsWith(mlp, StringComparison.Ordinal)).ToList();
        var parameters = rows.Take(first)
            .Concat(layout.BlockRows(dense.BlockPrefix, denseMlp))
            .Concat(rows.Skip(first).Where(r => !r.Name.StartsWith(mlp, StringComparison.Ordinal)))
            .ToList();
        return dense with
        {
            Parameters = parameters,
            Moe = layout,
            ImplementedFields = [.. dense.ImplementedFields, layout.ExpertsKey],
            Parse = (r, family) =>
            {
                var c = dense.Parse(r, family);
                return c with { Moe = layout.Read(r, c.Ffn) };
            },
            WriteConfig = (c, json) =>
            {
                dense.WriteConfig(c, json);
                if (c.Moe is { } moe) layout.Write(moe, json);
            },
            Validate = (c, path) =>
            {
                dense.Validate?.Invoke(c, path);
                if (c.Moe is { } moe && moe.DenseLayers.FirstOrDefault(l => l < 0 || l >= c.Layers, -1) is int bad and >= 0)
                    throw new CheckpointException(path, $"field 'mlp_only_layers' lists layer {bad}, outside the {c.Layers} layers");
            },
        };
    }
}
