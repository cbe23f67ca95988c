using System.Text.Json;
using Subclone.Checkpoints.Llama2c;
using Subclone.Data.Tokenizers;

namespace Subclone.Checkpoints;

/// <summary>
/// Chooses a tokenizer for a model directory from the tokenizer files it contains. It lives with the checkpoints,
/// not in Subclone.Data.Tokenizers, because a llama2.c checkpoint's header decides which tok*.bin it uses.
/// </summary>
public static class TokenizerLoader
{
    /// <summary>
    /// In order, as <c>transformers</c>' AutoTokenizer prefers the fast tokenizer: <c>tokenizer.json</c> (see
    /// <see cref="FastTokenizer"/>), unless its model is a WordPiece or Unigram one that the <c>vocab.txt</c> or
    /// <c>.model</c> beside it also holds (Subclone reads those files, as transformers' slow tokenizers do, and
    /// refuses the tokenizer.json otherwise); then GPT-2 BPE (<c>vocab.json</c> + <c>merges.txt</c>), BERT WordPiece (<c>vocab.txt</c>), llama2.c
    /// (<c>tokenizer.bin</c>/<c>tok*.bin</c> beside a llama2.c checkpoint, see <see cref="FromLlama2cCheckpoint"/>), SentencePiece
    /// (<c>tokenizer.model</c>/<c>*.model</c>), and for a GPT-2 <c>config.json</c> with no tokenizer files the stock
    /// GPT-2 tokenizer. Null when none applies.
    /// </summary>
    public static ITextTokenizer? FromModelDirectory(string dir)
    {
        string Path(string name) => System.IO.Path.Combine(dir, name);

        if (File.Exists(Path(FastTokenizer.FileName)) && !HasSlowFileFor(FastTokenizer.ModelType(Path(FastTokenizer.FileName)), dir))
            return FastTokenizer.Load(Path(FastTokenizer.FileName));
        if (File.Exists(Path("vocab.json")) && File.Exists(Path("merges.txt")))
            return Gpt2Tokenizer.FromFiles(Path("vocab.json"), Path("merges.txt"));
        if (File.Exists(Path("vocab.txt")))
            return BertWordPieceTokenizer.Load(Path("vocab.txt"), lowerCase: IsLowerCase(Path("tokenizer_config.json")));
        // llama2.c's own tokenizer is preferred over an equivalent .model so ids follow run.c exactly.
        if (FindLlama2cTokenizer(dir) is { } llama2c)
            return llama2c;
        string? model = File.Exists(Path("tokenizer.model")) ? Path("tokenizer.model") : Directory.EnumerateFiles(dir, "*.model").Order(StringComparer.Ordinal).FirstOrDefault();
        if (model is not null)
            return SentencePieceTextTokenizer.Load(model);
        if (IsGpt2Config(Path("config.json")))
            return Gpt2Tokenizer.Default();
        return null;
    }

    /// <summary>
    /// The tokenizer beside a llama2.c checkpoint, as run.c is used: <c>tokenizer.bin</c>, else <c>tok{vocab}.bin</c>
    /// (llama2.c's name for custom vocabularies), else any <c>tok*.bin</c>; the vocab size is the checkpoint header's.
    /// Null if there is none.
    /// </summary>
    public static Llama2cTokenizer? FromLlama2cCheckpoint(string checkpointPath)
    {
        Llama2cHeader header;
        using (var stream = File.OpenRead(checkpointPath)) header = Llama2cHeader.Read(stream, checkpointPath);
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(checkpointPath))!;
        string? tokenizer = new[] { "tokenizer.bin", $"tok{header.Vocab}.bin" }.Select(n => System.IO.Path.Combine(dir, n)).FirstOrDefault(File.Exists)
            ?? Directory.EnumerateFiles(dir, "tok*.bin").Order(StringComparer.Ordinal).FirstOrDefault();
        return tokenizer is null ? null : Llama2cTokenizer.Load(tokenizer, header.Vocab);
    }

    // The first .bin whose header and length make it a llama2.c checkpoint decides; tokenizer files fail that check.
    private static Llama2cTokenizer? FindLlama2cTokenizer(string dir)
    {
        foreach (string bin in Directory.EnumerateFiles(dir, "*.bin").Order(StringComparer.Ordinal))
        {
            try
            {
                return FromLlama2cCheckpoint(bin);
            }
            catch (InvalidDataException)
            {
                // Not a checkpoint (e.g. the tokenizer itself): try the next file.
            }
        }
        return null;
    }

    // The other tokenizer.json models Subclone reads from their own files.
    private static bool HasSlowFileFor(string modelType, string dir) => modelType switch
    {
        "WordPiece" => File.Exists(System.IO.Path.Combine(dir, "vocab.txt")),
        "Unigram" => Directory.EnumerateFiles(dir, "*.model").Any(),
        _ => false,
    };

    // HF's uncased BERTs set do_lower_case true, and it is also BertTokenizer's default.
    private static bool IsLowerCase(string tokenizerConfig) =>
        JsonProperty(tokenizerConfig, "do_lower_case")?.ValueKind != JsonValueKind.False;

    private static bool IsGpt2Config(string config) =>
        JsonProperty(config, "model_type") is { ValueKind: JsonValueKind.String } type && type.GetString() == "gpt2";

    private static JsonElement? JsonProperty(string path, string name)
    {
        if (!File.Exists(path)) return null;
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllText(path), JsonText.NoDuplicateKeys); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: is not valid JSON ({JsonText.Describe(e)})"); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: is not a JSON object");
            return document.RootElement.TryGetProperty(name, out var value) ? value.Clone() : null;
        }
    }
}
