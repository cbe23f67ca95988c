using System.Globalization;
using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>One row of metrics.jsonl / metrics.csv: after optimizer step <see cref="Step"/> (0: before training).</summary>
public sealed record StepMetrics(int Step, double LearningRate, double? TrainLoss, double? ValLoss, double? GradNorm,
    long Tokens, double TokensPerSecond, double ElapsedSeconds)
{
    /// <summary>The CSV header's column names, also the JSON keys.</summary>
    public static readonly string[] Columns = ["step", "lr", "train_loss", "val_loss", "val_ppl", "grad_norm", "tokens", "tokens_per_s", "elapsed_s"];

    /// <summary>Image runs: <see cref="ValLoss"/> holds top-1 error, which has no perplexity.</summary>
    public bool ValIsError { get; init; }

    /// <summary>exp(validation loss), when evaluated and not an error rate.</summary>
    public double? ValPerplexity => ValLoss is double v && !ValIsError ? Math.Exp(v) : null;

    object?[] Values => [Step, LearningRate, TrainLoss, ValLoss, ValPerplexity, GradNorm, Tokens, Math.Round(TokensPerSecond, 1), Math.Round(ElapsedSeconds, 3)];

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
