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
        foreach (var (_, file) in Files(paths)) documents.AddRange(ReadFile(file));
        if (documents.Count == 0) throw new UserInputException($"{string.Join(", ", paths)}: no text found");
        return documents;
    }

    /// <summary>The files <see cref="Load"/> reads, in its order, each with the path argument it was found under.</summary>
    public static List<(string Root, string File)> Files(IReadOnlyList<string> paths)
    {
        var files = new List<(string, string)>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
                files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".txt") || f.EndsWith(".jsonl")).Order(StringComparer.Ordinal).Select(f => (path, f)));
            else if (File.Exists(path)) files.Add((path, path));
            else throw new UserInputException($"{path}: no such file or directory");
        }
        return files;
    }

    static IEnumerable<string> ReadFile(string file)
    {
        string content = ReadText(file);
        if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            int line = 0;
            foreach (string row in content.Split('\n'))
            {
                line++;
                if (string.IsNullOrWhiteSpace(row)) continue;  // also the \r of a CRLF line end
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
        foreach (string part in content.Split("<|endoftext|>"))
            foreach (string doc in part.Split(["\n\n", "\r\n\r\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (doc.Length > 0) yield return doc;
    }

    static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The file as UTF-8 text, refusing binary files (an image set, a gzip archive, a checkpoint), which would otherwise be
    /// read as a few long "documents" of replacement characters and trained on.
    /// </summary>
    public static string ReadText(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
            throw new UserInputException($"{file}: gzip-compressed data, not text (decompress it, or give .txt / .jsonl files)");
        if (Array.IndexOf(bytes, (byte)0) >= 0) throw new UserInputException($"{file}: binary data (it has NUL bytes), not text");
        try { return StrictUtf8.GetString(bytes).TrimStart('\uFEFF'); }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new UserInputException($"{file}: not UTF-8 text (invalid byte at offset {e.Index})");
        }
    }
}
