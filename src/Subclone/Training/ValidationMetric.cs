namespace Subclone.Training;

/// <summary>
/// What a run's validation number is, by name: its column in metrics.csv / metrics.jsonl and the summaries, a
/// description for reports, and the companion column people read beside it (perplexity beside a loss, accuracy
/// beside an error). Every metric is lower-is-better, so comparisons treat them alike.
/// </summary>
public sealed record ValidationMetric(string Column, string Description, string? CompanionColumn)
{
    /// <summary>Mean next-token cross-entropy on held-out windows, with perplexity beside it.</summary>
    public static readonly ValidationMetric NextTokenLoss = new("val_loss", "validation loss (nats/token)", "val_ppl");
    /// <summary>Top-1 error (1 − accuracy) on held-out images, with accuracy beside it.</summary>
    public static readonly ValidationMetric TopOneError = new("val_error", "validation top-1 error (1 − accuracy)", "val_accuracy");
    /// <summary>1 − mean cosine between child and parent sentence embeddings on held-out sentences.</summary>
    public static readonly ValidationMetric EmbeddingDistance = new("val_cosine_distance", "1 − cosine to the parent's embedding (held-out sentences)", "val_cosine");

    /// <summary>The metrics this code writes, for reading a saved state back by its column name.</summary>
    public static IReadOnlyList<ValidationMetric> All { get; } = [NextTokenLoss, TopOneError, EmbeddingDistance];

    /// <summary>The companion value of <paramref name="value"/>: exp(loss), 1 − error, 1 − distance.</summary>
    public double Companion(double value) => this == NextTokenLoss ? Math.Exp(value) : 1 - value;

    /// <summary>The metric whose column is <paramref name="column"/>; null for one this code does not know.</summary>
    public static ValidationMetric? Find(string column) => All.FirstOrDefault(m => m.Column == column);
}
