using System.Text.RegularExpressions;

namespace Subclone.Models.Families;

/// <summary>One parameter inside a fused checkpoint tensor: its name, its shape, and where its elements start
/// (they are contiguous: expert-major, and within an expert gate rows before up rows).</summary>
public sealed record FusedPart(string Name, long[] Shape, long ElementOffset);

/// <summary>The parameters a fused checkpoint tensor <paramref name="fileKey"/> of <paramref name="shape"/> holds, or
/// null when it is not a fused tensor.</summary>
public delegate IReadOnlyList<FusedPart>? FusedSplit(ModelConfig config, string fileKey, long[] shape);

/// <summary>
/// transformers v5 keeps a sparse block's experts in memory as two fused tensors, <c>mlp.experts.gate_up_proj</c>
/// [E, 2F, D] (each expert's gate rows, then its up rows) and <c>mlp.experts.down_proj</c> [E, D, F], beside
/// <c>mlp.gate.weight</c>; checkpoints saved that way are read as the per-expert parameters they hold.
/// </summary>
public static partial class FusedExperts
{
    [GeneratedRegex(@"^(?<block>.*\.)mlp\.experts\.(?<part>gate_up_proj|down_proj)$")]
    private static partial Regex FusedKey();

    /// <summary>The split for a family whose per-expert names follow <paramref name="layout"/>.</summary>
    public static FusedSplit Split(MoeLayout layout) => (config, fileKey, shape) =>
    {
        var m = FusedKey().Match(fileKey);
        if (!m.Success || shape.Length != 3) return null;
        string block = m.Groups["block"].Value;
        string Name(int expert, string projection) =>
            block + layout.ExpertPrefix.Replace(ParameterRow.ExpertPlaceholder, expert.ToString(System.Globalization.CultureInfo.InvariantCulture)) + projection + ".weight";
        long experts = shape[0], rows = shape[1], columns = shape[2], perExpert = rows * columns;
        var parts = new List<FusedPart>();
        for (int e = 0; e < experts; e++)
        {
            if (m.Groups["part"].Value == "down_proj")
            {
                parts.Add(new(Name(e, layout.DownProj), [rows, columns], e * perExpert));
                continue;
            }
            long half = rows / 2;
            parts.Add(new(Name(e, layout.GateProj), [half, columns], e * perExpert));
            parts.Add(new(Name(e, layout.UpProj), [rows - half, columns], e * perExpert + half * columns));
        }
        return parts;
    };

    /// <summary>A fused checkpoint's router name mapped onto the family's: <paramref name="fused"/> → <paramref name="own"/>.</summary>
    public static string? CanonicalName(string? name, string fused, string own) =>
        name is not null && name.Contains("." + fused, StringComparison.Ordinal) ? name.Replace("." + fused, "." + own, StringComparison.Ordinal) : name;
}
