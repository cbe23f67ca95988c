using System.Text;
using Subclone.Data.Tokenizers.Json;

namespace Subclone.Data.Tokenizers;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> (the "fast" tokenizer file that Llama 3, Qwen, Gemma, Pythia and OLMo ship),
/// run the way its Rust library runs it: added tokens are found first, the text between them is normalized and
/// pre-tokenized, each piece goes through the BPE model, and the post-processor adds BOS/EOS when asked. Ids match
/// Hugging Face's exactly for the Llama 2, Llama 3, Qwen3 and Gemma 3 files (tests/Subclone.Tests/Data/FastTokenizerTests.cs).
/// </summary>
public sealed class FastTokenizer : ITextTokenizer
{
    /// <summary>The file's name in a model directory.</summary>
    public const string FileName = "tokenizer.json";

    readonly TokenizerJson parts;
    readonly PostProcessor framing;
    readonly Dictionary<int, AddedToken> addedById = [];
    readonly Dictionary<string, AddedToken> addedByContent = new(StringComparer.Ordinal);
    readonly AddedTokenMatcher rawTokens, normalizedTokens;
    readonly bool splitSpecialTokens;

    FastTokenizer(TokenizerJson parts, TokenizerConfig config, string path, string configPath)
    {
        this.parts = parts;
        foreach (var token in parts.AddedTokens)
        {
            addedById.TryAdd(token.Id, token);
            addedByContent.TryAdd(token.Content, token);
        }
        rawTokens = new AddedTokenMatcher(parts.AddedTokens.Where(t => !t.Normalized), t => t.Content);
        normalizedTokens = new AddedTokenMatcher(parts.AddedTokens.Where(t => t.Normalized), t => parts.Normalizer?.Normalize(t.Content) ?? t.Content);
        splitSpecialTokens = config.SplitSpecialTokens;
        VocabSize = Math.Max(parts.Model.Tokens.Keys.DefaultIfEmpty(-1).Max(), addedById.Keys.DefaultIfEmpty(-1).Max()) + 1;
        if (VocabSize == 0) throw new InvalidDataException($"{path}: has no tokens");

        BosId = config.BosToken is { } bos ? IdOf(bos) : null;
        EosId = config.EosToken is { } eos ? IdOf(eos) : null;
        framing = parts.PostProcessor;
        if (config.RebuildsTemplate)
        {
            bool addBos = config.AddBosToken ?? true, addEos = config.AddEosToken ?? false;
            if (addBos && BosId is null || addEos && EosId is null)
                throw new InvalidDataException($"{configPath}: add_bos_token/add_eos_token need a bos_token/eos_token that {Path.GetFileName(path)} has");
            framing = new PostProcessor(addBos ? [BosId!.Value] : [], addEos ? [EosId!.Value] : []);
        }
        // Without a config, the template's lone token before (after) the text is taken for BOS (EOS).
        BosId ??= framing.Before is [int before] ? before : null;
        EosId ??= framing.After is [int after] ? after : null;
    }

    /// <summary>The file's model type ("BPE", "WordPiece", "Unigram" …), read without building anything.</summary>
    public static string ModelType(string path) => TokenizerJson.ModelType(path);

    /// <summary>Reads <paramref name="path"/> and the <c>tokenizer_config.json</c> beside it, if there is one.</summary>
    public static FastTokenizer Load(string path)
    {
        var parts = TokenizerJson.Read(path);
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json");
        return new FastTokenizer(parts, TokenizerConfig.Read(config), path, config);
    }

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <summary>The file's parts as read (the GGUF export writes its vocabulary from them).</summary>
    internal TokenizerJson Parts => parts;

    /// <inheritdoc/>
    public int? BosId { get; }

    /// <inheritdoc/>
    public int? EosId { get; }

    /// <summary>The id of a token (added or in the model's vocabulary), or null.</summary>
    public int? IdOf(string token) =>
        addedByContent.TryGetValue(token, out var added) ? added.Id : parts.Model.IdOf(token);

    /// <summary>The token an id stands for, or null for an id the tokenizer does not have.</summary>
    public string? TokenOf(int id) =>
        addedById.TryGetValue(id, out var added) ? added.Content : parts.Model.Tokens.GetValueOrDefault(id);

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text) => Encode(text, addSpecialTokens: false);

    /// <summary>The ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/>, framed by the
    /// post-processor (BOS for Llama 2 and Gemma; nothing for Llama 3's and Qwen3's files), as HF's
    /// <c>encode(text, add_special_tokens=True)</c>.</summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        var ids = new List<int>();
        text = WellFormed(text);
        foreach (var (start, end, token) in rawTokens.Split(text, SkipsSpecial))
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }
            string part = text[start..end];
            string normalized = parts.Normalizer?.Normalize(part) ?? part;
            foreach (var (from, to, inner) in normalizedTokens.Split(normalized, SkipsSpecial))
            {
                if (inner is not null) ids.Add(inner.Id);
                else EncodePiece(new Piece(normalized[from..to], AtStart: start == 0 && from == 0), ids);
            }
        }
        return addSpecialTokens ? framing.Frame(ids) : [.. ids];
    }

    // With split_special_tokens (tokenizer_config.json), special tokens in the text are read as text.
    bool SkipsSpecial(AddedToken token) => splitSpecialTokens && token.Special;

    void EncodePiece(Piece piece, List<int> ids)
    {
        var pieces = parts.PreTokenizer?.Split(piece) ?? [piece];
        foreach (var word in pieces) ids.AddRange(parts.Model.Tokenize(word.Text));
    }

    // .NET strings may hold lone surrogates, which Rust strings cannot; they are read as U+FFFD.
    static string WellFormed(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') || IsWellFormed(text)) return text;
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes()) builder.Append(rune.ToString());
        return builder.ToString();
    }

    static bool IsWellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return false;
        }
        return true;
    }

    /// <summary>The tokens of <paramref name="ids"/> as the vocabulary writes them ("Ġworld", "▁Hello", "&lt;s&gt;").</summary>
    public IReadOnlyList<string> Tokens(IEnumerable<int> ids) => ids.Select(id => TokenOf(id) ?? "").ToList();

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>The text of <paramref name="ids"/> as HF's <c>decode</c> gives it (ids the tokenizer does not have
    /// are skipped, as HF does; <c>clean_up_tokenization_spaces</c>, a transformers option, is not applied).</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (addedById.TryGetValue(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) tokens.Add(added.Content);
            }
            else if (parts.Model.Tokens.TryGetValue(id, out var token)) tokens.Add(token);
        }
        return parts.Decoder is null ? string.Join(' ', tokens) : string.Concat(parts.Decoder.Decode(tokens));
    }
}
