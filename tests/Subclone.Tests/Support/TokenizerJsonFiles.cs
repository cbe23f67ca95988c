using System.Text.Json.Nodes;
using Subclone.Data.Tokenizers;
using Subclone.Fuzz;

namespace Subclone.Tests.Support;

/// <summary>Small tokenizer.json files (the fuzz seeds' shapes, <see cref="TokenizerJsonSeeds"/>) written to a
/// temporary model directory, with changes a test makes to them.</summary>
internal static class TokenizerJsonFiles
{
    /// <summary>Writes <paramref name="tokenizer"/> (and a tokenizer_config.json) into <paramref name="dir"/>; returns the tokenizer.json path.</summary>
    public static string Write(TempDir dir, JsonObject tokenizer, string? config = null)
    {
        File.WriteAllText(dir["tokenizer.json"], tokenizer.ToJsonString());
        if (config is not null) File.WriteAllText(dir["tokenizer_config.json"], config);
        return dir["tokenizer.json"];
    }

    public static FastTokenizer Load(JsonObject tokenizer, string? config = null)
    {
        using var dir = new TempDir();
        return FastTokenizer.Load(Write(dir, tokenizer, config));
    }

    /// <summary>How a byte-level vocabulary writes <paramref name="text"/>: one character per UTF-8 byte (GPT-2's
    /// bytes_to_unicode).</summary>
    public static string ByteLevel(string text)
    {
        var alphabet = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            alphabet[b] = (char)(b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? b : next++);
        return string.Concat(System.Text.Encoding.UTF8.GetBytes(text).Select(b => alphabet[b]));
    }

    /// <summary>The ids of these tokens, looked up one by one.</summary>
    public static int[] IdsOf(FastTokenizer tokenizer, params string[] tokens) =>
        tokens.Select(t => tokenizer.IdOf(t) ?? throw new InvalidOperationException($"no token {t}")).ToArray();
}
