using System.Text.Json.Nodes;

namespace Subclone;

/// <summary>
/// JSON has no NaN or infinity, and System.Text.Json throws on them. A diverged run (a loss that became NaN, a
/// perplexity that overflowed) is still a result: such numbers are written as null, which every JSON reader accepts.
/// </summary>
public static class FiniteJson
{
    /// <summary>Replaces every NaN or infinite number under <paramref name="node"/> with null, in place; returns the node.</summary>
    public static T Of<T>(T node) where T : JsonNode
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(kv => kv.Key).ToList())
                    if (IsNonFinite(obj[key])) obj[key] = null; else if (obj[key] is JsonNode child) Of(child);
                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                    if (IsNonFinite(array[i])) array[i] = null; else if (array[i] is JsonNode child) Of(child);
                break;
        }
        return node;
    }

    static bool IsNonFinite(JsonNode? node) =>
        node is JsonValue value && (value.TryGetValue(out double d) && !double.IsFinite(d) || value.TryGetValue(out float f) && !float.IsFinite(f));
}
