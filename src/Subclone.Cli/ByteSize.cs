using System.Globalization;

namespace Subclone.Cli;

/// <summary>Parses sizes as Hugging Face's max_shard_size writes them: "5GB" (decimal units), "500MiB" (binary), "4096".</summary>
public static class ByteSize
{
    static readonly (string Suffix, long Scale)[] Units =
    [
        ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("TIB", 1L << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ];

    public static long Parse(string text, string option)
    {
        string t = text.Trim().ToUpperInvariant();
        long scale = 1;
        foreach (var (suffix, s) in Units)
            if (t.EndsWith(suffix)) { scale = s; t = t[..^suffix.Length].TrimEnd(); break; }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value * scale >= 1) || value * scale > long.MaxValue)
            throw new UserInputException($"{option} '{text}' is not a size (e.g. 5GB, 500MB, 2GiB)");
        return (long)(value * scale);
    }
}
