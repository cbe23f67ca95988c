using System.Text.Json;
using System.Text.Json.Nodes;

namespace Subclone.Training;

/// <summary>metrics.jsonl and metrics.csv in a run's directory, one row per step, appended as the run goes.</summary>
public sealed class MetricsLog(string directory)
{
    /// <summary>The JSON-lines file's name.</summary>
    public const string JsonlFile = "metrics.jsonl";
    /// <summary>The CSV file's name.</summary>
    public const string CsvFile = "metrics.csv";

    /// <summary>The JSON-lines file's path.</summary>
    public string JsonlPath => Path.Combine(directory, JsonlFile);
    /// <summary>The CSV file's path.</summary>
    public string CsvPath => Path.Combine(directory, CsvFile);

    /// <summary>Appends <paramref name="row"/> to both files (writing the CSV header first if the file is new).</summary>
    public void Append(StepMetrics row)
    {
        Directory.CreateDirectory(directory);
        File.AppendAllText(JsonlPath, FiniteJson.Of(row.ToJson()).ToJsonString() + "\n");
        if (!File.Exists(CsvPath)) File.WriteAllText(CsvPath, string.Join(",", row.Columns) + "\n");
        File.AppendAllText(CsvPath, row.ToCsv() + "\n");
    }

    /// <summary>Drops rows after <paramref name="step"/>: a run that died after its last checkpoint logged steps a
    /// resumed run will take again.</summary>
    public void TruncateAfter(int step)
    {
        if (File.Exists(JsonlPath))
            AtomicFile.WriteAllText(JsonlPath, string.Concat(File.ReadLines(JsonlPath).Where(l => l.Length > 0 && StepOf(l) <= step).Select(l => l + "\n")));
        if (File.Exists(CsvPath))
        {
            var lines = File.ReadLines(CsvPath).ToList();
            AtomicFile.WriteAllText(CsvPath, string.Concat(lines.Take(1).Concat(lines.Skip(1).Where(l => l.Length > 0 && int.Parse(l.Split(',')[0]) <= step)).Select(l => l + "\n")));
        }
    }

    /// <summary>Every row of metrics.jsonl, in order.</summary>
    public List<JsonObject> Read() => File.Exists(JsonlPath)
        ? File.ReadLines(JsonlPath).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList()
        : [];

    static int StepOf(string jsonLine)
    {
        using var doc = JsonDocument.Parse(jsonLine);
        return doc.RootElement.GetProperty("step").GetInt32();
    }
}
