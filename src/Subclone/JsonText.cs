using System.Text;
using System.Text.Json;

namespace Subclone;

/// <summary>Reading JSON files users hand in (config.json, indexes, tokenizer files) with errors that fit on one line.</summary>
internal static class JsonText
{
    /// <summary>Refuses a key given twice: which value the file means is a guess, and a JsonObject holding both
    /// throws ArgumentException the first time it is read rather than at parse time.</summary>
    public static readonly JsonDocumentOptions NoDuplicateKeys = new() { AllowDuplicateProperties = false };

    const int MaxQuoted = 80;

    /// <summary>The parser's complaint as one short line, with where it is: its message quotes the offending text,
    /// which may hold newlines, control characters or a whole line of the file.</summary>
    public static string Describe(JsonException e)
    {
        string message = e.Message;
        foreach (string marker in new[] { " Path: ", " LineNumber: " })
            if (message.IndexOf(marker, StringComparison.Ordinal) is >= 0 and var at) message = message[..at];
        message = message.TrimEnd(' ', '.');

        var line = new StringBuilder(OneLine.Escape(message.Length > MaxQuoted ? message[..MaxQuoted] : message));
        if (message.Length > MaxQuoted) line.Append('…');
        if (e.LineNumber is long number) line.Append($" at line {number + 1}, byte {e.BytePositionInLine + 1}");
        return line.ToString();
    }
}
