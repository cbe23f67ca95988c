using System.Text.Json;

namespace Subclone.Data;

/// <summary>Documents from text files, folders of .txt / .jsonl (the "text" field), or the default corpus.</summary>
public static class TextCorpus
{
    /// <summary>Reads every document under <paramref name="paths"/> in a fixed order; an empty list means the default corpus.
    /// Plain-text files are split into documents at blank lines and at &lt;|endoftext|&gt; markers.</summary>
    public static List<string> Load(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) return DefaultCorpus.Documents().ToList();
        var documents = new List<string>();
        foreach (string path in paths)
        {
            var files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Where(f => f.EndsWith(".txt") || f.EndsWith(".jsonl")).Order(StringComparer.Ordinal).ToList()
                : File.Exists(path) ? [path] : throw new UserInputException($"{path}: no such file or directory");
            foreach (string file in files) documents.AddRange(ReadFile(file));
        }
        if (documents.Count == 0) throw new UserInputException($"{string.Join(", ", paths)}: no text found");
        return documents;
    }

    static IEnumerable<string> ReadFile(string file)
    {
        if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            int line = 0;
            foreach (string row in File.ReadLines(file))
            {
                line++;
                if (string.IsNullOrWhiteSpace(row)) continue;
                string? text;
                try
                {
                    using var doc = JsonDocument.Parse(row);
                    text = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                }
                catch (JsonException) { throw new UserInputException($"{file}:{line}: not a JSON object"); }
                if (text is null) throw new UserInputException($"{file}:{line}: has no \"text\" string field");
                if (text.Length > 0) yield return text;
            }
            yield break;
        }
        string content = File.ReadAllText(file);
        foreach (string part in content.Split("<|endoftext|>"))
            foreach (string doc in part.Split(["\n\n", "\r\n\r\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (doc.Length > 0) yield return doc;
    }
}
