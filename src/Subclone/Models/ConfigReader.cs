using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Subclone.Models;

/// <summary>Typed access to config.json fields with one-line errors naming the file and field.</summary>
public sealed class ConfigReader(JsonObject json, string path)
{
    /// <summary>The config.json object being read.</summary>
    public JsonObject Json => json;

    /// <summary>The file it came from, as errors name it.</summary>
    public string Path => path;

    /// <summary>Whether the config has <paramref name="key"/> (with any value, null included).</summary>
    public bool Has(string key) => json.ContainsKey(key);

    JsonNode? Node(string key) => json.TryGetPropertyValue(key, out var n) ? n : null;

    /// <summary>A required string field.</summary>
    public string String(string key) =>
        OptionalString(key) ?? throw new CheckpointException(path, $"is missing required field '{key}'");

    /// <summary>A string field, or null when absent.</summary>
    public string? OptionalString(string key) => Node(key) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => throw new CheckpointException(path, $"field '{key}' must be a string"),
    };

    /// <summary>A required integer field.</summary>
    public int Int(string key) =>
        OptionalInt(key) ?? throw new CheckpointException(path, $"is missing required field '{key}'");

    /// <summary>An integer field (1.0 counts), or null when absent.</summary>
    public int? OptionalInt(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        // Numbers are read from their JSON text: a JsonValue set from a C# int (as ToJson does) refuses
        // GetValue<long> and GetValue<double>, while one parsed from a file accepts both.
        if (Number(node) is { } text)
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) && l is >= int.MinValue and <= int.MaxValue)
                return (int)l;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x == Math.Floor(x) && Math.Abs(x) < int.MaxValue)
                return (int)x;
        }
        throw new CheckpointException(path, $"field '{key}' must be an integer, got {node.ToJsonString()}");
    }

    /// <summary>A number field, or null when absent.</summary>
    public double? OptionalDouble(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (Number(node) is { } text && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double x)) return x;
        throw new CheckpointException(path, $"field '{key}' must be a number, got {node.ToJsonString()}");
    }

    static string? Number(JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.ToJsonString() : null;

    /// <summary>A true/false field, or null when absent.</summary>
    public bool? OptionalBool(string key)
    {
        var node = Node(key);
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw new CheckpointException(path, $"field '{key}' must be true or false, got {node.ToJsonString()}");
    }
}
