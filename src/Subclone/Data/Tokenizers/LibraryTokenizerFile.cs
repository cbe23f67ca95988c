namespace Subclone.Data.Tokenizers;

/// <summary>
/// Loads a tokenizer file through Microsoft.ML.Tokenizers, which parses it entirely: a malformed file surfaces as
/// whatever its parsing code happens to hit (protobuf errors, InvalidOperationException, ArgumentException from a
/// duplicated piece, NullReferenceException from a missing section; all found by fuzzing). Each becomes one
/// InvalidDataException naming the file, like Subclone's own readers.
/// </summary>
internal static class LibraryTokenizerFile
{
    const int MaxReason = 160;

    public static T Load<T>(string path, string format, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InvalidDataException))
        {
            string reason = e.Message.Trim();
            reason = OneLine.Escape(reason.Length > MaxReason ? reason[..MaxReason] + "…" : reason);
            throw new InvalidDataException($"{path}: not a {format} Microsoft.ML.Tokenizers can read ({e.GetType().Name}: {reason})", e);
        }
    }
}
