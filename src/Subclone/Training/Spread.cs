using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>A figure over several seeds: its mean, minimum and maximum, and how many seeds have it (a seed that
/// never reached random's final value has no step count).</summary>
public sealed record Spread(double Mean, double Min, double Max, int Count)
{
    /// <summary>The spread of the defined values among <paramref name="values"/>; null when none is defined.</summary>
    public static Spread? Of(IEnumerable<double?> values)
    {
        var defined = values.Where(v => v is double d && double.IsFinite(d)).Select(v => v!.Value).ToList();
        return defined.Count == 0 ? null : new Spread(defined.Average(), defined.Min(), defined.Max(), defined.Count);
    }

    /// <summary>summary.json's form: {"mean", "min", "max", "n"}, rounded to <paramref name="digits"/> decimals.</summary>
    public JsonObject ToJson(int digits) => new()
    {
        ["mean"] = Math.Round(Mean, digits), ["min"] = Math.Round(Min, digits), ["max"] = Math.Round(Max, digits), ["n"] = Count,
    };
}
