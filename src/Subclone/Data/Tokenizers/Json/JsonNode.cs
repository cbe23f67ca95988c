using System.Text.Json;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// One object of a <c>tokenizer.json</c> with where it sits (<c>pre_tokenizer.pretokenizers[0]</c>), so every
/// complaint names the file and the part. Each part lists the fields it understands: a field Subclone does not know
/// might change the ids, so it is refused rather than skipped.
/// </summary>
internal readonly record struct JsonNode(JsonElement Element, string File, string Where)
{
    /// <summary>An <see cref="InvalidDataException"/> naming the file and this part.</summary>
    public InvalidDataException Error(string problem) =>
        new(Where.Length == 0 ? $"{File}: {OneLine.Escape(problem)}" : $"{File}: {Where}: {OneLine.Escape(problem)}");

    /// <summary>The part's <c>type</c> (checked to be an object with a string type).</summary>
    public string Type =>
        Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : throw Error("is not an object with a string \"type\"");

    /// <summary>Refuses the part unless every field is one of <paramref name="known"/>.</summary>
    public JsonNode OnlyFields(params string[] known)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error("is not a JSON object");
        foreach (var field in Element.EnumerateObject())
            if (Array.IndexOf(known, field.Name) < 0)
                throw Error($"field \"{Quote(field.Name)}\" is not supported (a field Subclone does not implement could change the ids)");
        return this;
    }

    /// <summary>The child node <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public JsonNode? Child(string name) =>
        Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? new JsonNode(value, File, Where.Length == 0 ? name : $"{Where}.{name}")
            : null;

    /// <summary>The required child <paramref name="name"/>.</summary>
    public JsonNode Required(string name) => Child(name) ?? throw Error($"has no \"{name}\"");

    /// <summary>The items of this array, each named with its index.</summary>
    public IEnumerable<JsonNode> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error("is not a JSON array");
        int i = 0;
        foreach (var item in Element.EnumerateArray()) yield return new JsonNode(item, File, $"{Where}[{i++}]");
    }

    /// <summary>This node as a string.</summary>
    public string AsString() => Element.ValueKind == JsonValueKind.String ? Element.GetString()! : throw Error("is not a string");

    /// <summary>This node as a non-negative int32 id.</summary>
    public int AsId() =>
        Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out int id) && id is >= 0 and <= MaxId
            ? id
            : throw Error($"is not an id from 0 to {MaxId}");

    /// <summary>The largest id accepted: far above any real vocabulary (Gemma 3 has 262,144), low enough that
    /// max id + 1 sized tables stay small.</summary>
    public const int MaxId = (1 << 24) - 1;

    /// <summary>The string field <paramref name="name"/>, or null when absent or null.</summary>
    public string? String(string name) => Child(name)?.AsString();

    /// <summary>The boolean field <paramref name="name"/>, or <paramref name="absent"/>.</summary>
    public bool Bool(string name, bool absent) => Child(name) is { } node
        ? node.Element.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw node.Error("is not true or false") }
        : absent;

    /// <summary>The non-negative integer field <paramref name="name"/>, or <paramref name="absent"/>.</summary>
    public int Int(string name, int absent) => Child(name) is { } node
        ? node.Element.ValueKind == JsonValueKind.Number && node.Element.TryGetInt32(out int value) && value >= 0 ? value : throw node.Error("is not a non-negative integer")
        : absent;

    /// <summary>A single character field (Metaspace's replacement, Strip's content).</summary>
    public string Char(string name)
    {
        var node = Required(name);
        string text = node.AsString();
        return System.Text.Rune.TryGetRuneAt(text, 0, out var rune) && rune.Utf16SequenceLength == text.Length
            ? text
            : throw node.Error("is not a single character");
    }

    /// <summary>Text quoted from the file, short and on one line.</summary>
    public static string Quote(string text) => OneLine.Escape(text.Length > 60 ? text[..60] + "…" : text);
}
