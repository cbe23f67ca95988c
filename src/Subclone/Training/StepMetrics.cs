using System.Globalization;
using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>
/// One row of metrics.jsonl / metrics.csv: after optimizer step <see cref="Step"/> (0: before training). The
/// validation value and the count are written under their own names (<see cref="Metric"/>, <see cref="Unit"/>):
/// a text run's columns are step, lr, train_loss, val_loss, val_ppl, grad_norm, tokens, tokens_per_s, elapsed_s;
/// an image run's say val_error, val_accuracy, images, images_per_s instead.
/// </summary>
public sealed record StepMetrics(int Step, double LearningRate, double? TrainLoss, double? Validation, double? GradNorm,
    long Seen, double SeenPerSecond, double ElapsedSeconds)
{
    /// <summary>What <see cref="Validation"/> measures.</summary>
    public ValidationMetric Metric { get; init; } = ValidationMetric.NextTokenLoss;
    /// <summary>What <see cref="Seen"/> counts (tokens, images, sentences).</summary>
    public string Unit { get; init; } = "tokens";

    /// <summary>The CSV header's column names, also the JSON keys, for rows of <paramref name="metric"/> counting <paramref name="unit"/>.</summary>
    public static string[] ColumnsFor(ValidationMetric metric, string unit) =>
        ["step", "lr", "train_loss", metric.Column, .. metric.CompanionColumn is string c ? new[] { c } : [], "grad_norm", unit, $"{unit}_per_s", "elapsed_s"];

    /// <summary>This row's column names.</summary>
    public string[] Columns => ColumnsFor(Metric, Unit);

    object?[] Values =>
    [
        Step, LearningRate, TrainLoss, Validation,
        .. Metric.CompanionColumn is null ? Array.Empty<object?>() : [Validation is double v ? Metric.Companion(v) : null],
        GradNorm, Seen, Math.Round(SeenPerSecond, 1), Math.Round(ElapsedSeconds, 3),
    ];

    /// <summary>The row as a JSON object; non-finite values become null.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (name, value) in Columns.Zip(Values))
            json[name] = value switch
            {
                int i => i,
                long l => l,
                // JSON has no NaN or infinity: a diverged value is written as null.
                double d => double.IsFinite(d) ? d : null,
                _ => null,
            };
        return json;
    }

    /// <summary>The row as a CSV line (invariant culture; missing values empty).</summary>
    public string ToCsv() => string.Join(",", Values.Select(v => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => "",
    }));
}
