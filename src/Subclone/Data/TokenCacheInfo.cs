using System.Text.Json;
using System.Text.Json.Nodes;

namespace Subclone.Data;

/// <summary>
/// The JSON sidecar of a token file: what was tokenised (inputs and their content hash), with what (tokenizer
/// identity), how the tokens are stored, and where the train split ends and the validation split begins.
/// Train documents come first in the file, then validation documents.
/// </summary>
public sealed record TokenCacheInfo
{
    /// <summary>The sidecar format this code reads and writes; any other is rebuilt.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The tokenizer's fingerprint (<see cref="TokenizerIdentity.Of"/>).</summary>
    public required string Tokenizer { get; init; }
    /// <summary>sha256 over the inputs' contents, so changed text rebuilds the cache.</summary>
    public required string ContentSha256 { get; init; }
    /// <summary>The files or folders that were tokenised.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }
    /// <summary>2 (uint16) when every id fits, else 4 (uint32).</summary>
    public required int BytesPerToken { get; init; }
    /// <summary>Documents tokenised.</summary>
    public required long Documents { get; init; }
    /// <summary>Tokens in the file, both splits.</summary>
    public required long Tokens { get; init; }
    /// <summary>Seed of the document shuffle that made the split.</summary>
    public required ulong SplitSeed { get; init; }
    /// <summary>Share of the documents in the validation split.</summary>
    public required double ValidationFraction { get; init; }
    /// <summary>Documents in the train split.</summary>
    public required long TrainDocuments { get; init; }
    /// <summary>Documents in the validation split.</summary>
    public required long ValidationDocuments { get; init; }
    /// <summary>Tokens in the train split (the file's first tokens).</summary>
    public required long TrainTokens { get; init; }

    /// <summary>True when the corpus was one document and the validation split is its tail (then no document is held out whole).</summary>
    public bool ValidationIsTail { get; init; }

    /// <summary>Tokens in the validation split (the rest of the file).</summary>
    public long ValidationTokens => Tokens - TrainTokens;

    /// <summary>The stored token type: uint16 or uint32.</summary>
    public string DtypeName => BytesPerToken == 2 ? "uint16" : "uint32";

    /// <summary>The sidecar's JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["format"] = CurrentFormat,
        ["tokenizer"] = Tokenizer,
        ["inputs"] = new JsonArray(Inputs.Select(i => (JsonNode)i).ToArray()),
        ["content_sha256"] = ContentSha256,
        ["dtype"] = DtypeName,
        ["documents"] = Documents,
        ["tokens"] = Tokens,
        ["split"] = new JsonObject
        {
            ["seed"] = SplitSeed,
            ["validation_fraction"] = ValidationFraction,
            ["train_documents"] = TrainDocuments,
            ["validation_documents"] = ValidationDocuments,
            ["train_tokens"] = TrainTokens,
            ["validation_tokens"] = ValidationTokens,
            ["validation_is_tail"] = ValidationIsTail,
        },
    };

    /// <summary>The sidecar at <paramref name="path"/>, or null when it is missing, unreadable or of another format:
    /// any of those just means the cache is rebuilt.</summary>
    public static TokenCacheInfo? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path) || JsonNode.Parse(File.ReadAllText(path)) is not JsonObject json) return null;
            if (json["format"] is not JsonValue format || !format.TryGetValue(out int version) || version != CurrentFormat) return null;
            var split = json["split"] as JsonObject ?? throw new FormatException("split");
            return new TokenCacheInfo
            {
                Tokenizer = Value<string>(json["tokenizer"]),
                Inputs = (json["inputs"] as JsonArray ?? throw new FormatException("inputs")).Select(Value<string>).ToList(),
                ContentSha256 = Value<string>(json["content_sha256"]),
                BytesPerToken = Value<string>(json["dtype"]) switch { "uint16" => 2, "uint32" => 4, _ => throw new FormatException("dtype") },
                Documents = Value<long>(json["documents"]),
                Tokens = Value<long>(json["tokens"]),
                SplitSeed = Value<ulong>(split["seed"]),
                ValidationFraction = Value<double>(split["validation_fraction"]),
                TrainDocuments = Value<long>(split["train_documents"]),
                ValidationDocuments = Value<long>(split["validation_documents"]),
                TrainTokens = Value<long>(split["train_tokens"]),
                ValidationIsTail = split["validation_is_tail"] is JsonValue isTail && isTail.TryGetValue(out bool t) && t,
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException)
        {
            return null;
        }
    }

    static T Value<T>(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out T? result) && result is not null ? result : throw new FormatException(typeof(T).Name);

    /// <summary>Writes the sidecar to <paramref name="path"/> atomically.</summary>
    public void Write(string path) =>
        AtomicFile.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
}
