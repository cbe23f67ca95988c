namespace Subclone;

/// <summary>Keeps error messages on one line when they quote text from a file.</summary>
internal static class OneLine
{
    /// <summary>Escapes control characters (newlines, tabs, NUL …) as \uXXXX: names read from a file, such as a tensor
    /// name or a model_type, may contain any of them.</summary>
    public static string Escape(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString())) : text;
}
