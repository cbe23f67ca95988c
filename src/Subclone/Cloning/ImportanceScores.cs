using System.Text.Json;
using System.Text.Json.Serialization;

namespace Subclone.Cloning;

/// <summary>
/// Per-layer importance of every residual dimension, FFN neuron and head, and each block's influence,
/// measured on calibration data. Residual dims are ranked globally by the sum over layers, because every
/// block reads and writes the same residual coordinates.
/// </summary>
public sealed record ImportanceScores
{
    /// <summary>[layer][dim]: mean |block output|.</summary>
    public required double[][] Residual { get; init; }
    /// <summary>[layer][neuron]: mean |down-projection input|.</summary>
    public required double[][] Ffn { get; init; }
    /// <summary>[layer][head]: mean |attention output| over the head's dims.</summary>
    public required double[][] Heads { get; init; }
    /// <summary>[layer]: mean ‖f(x)‖ / ‖x + f(x)‖; small means close to identity.</summary>
    public required double[] BlockInfluence { get; init; }
    /// <summary>[layer][expert]: the gate weight the expert receives, averaged over every token (zero where it is not
    /// routed): its routed probability mass. Null for dense models; an empty row for a dense block.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[][]? ExpertMass { get; init; }
    /// <summary>[layer][expert]: ‖gate weight · expert output‖ averaged over every token: the magnitude of its contribution.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[][]? ExpertContribution { get; init; }
    /// <summary>[layer][expert][neuron]: mean |down-projection input| of the expert over the tokens routed to it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double[][][]? ExpertFfn { get; init; }
    /// <summary>Real (non-padding) tokens the scores were measured on.</summary>
    public long CalibrationTokens { get; init; }
    /// <summary>Where the calibration data came from (files, the default corpus, random ids).</summary>
    public string CalibrationSource { get; init; } = "";
    /// <summary>The seed that drew the calibration windows.</summary>
    public long Seed { get; init; }

    /// <summary>The global residual score: the sum over blocks.</summary>
    [JsonIgnore]
    public double[] ResidualGlobal =>
        Enumerable.Range(0, Residual[0].Length).Select(i => Residual.Sum(layer => layer[i])).ToArray();

    static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>importance.json: the scores, indented, snake_case.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static ImportanceScores FromJson(string json) =>
        JsonSerializer.Deserialize<ImportanceScores>(json, Options) ?? throw new InvalidDataException("importance file is empty");
}
