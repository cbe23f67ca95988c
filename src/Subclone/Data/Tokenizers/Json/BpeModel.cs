using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// The <c>BPE</c> model of a <c>tokenizer.json</c>, as HF's tokenizers runs it: a word starts as one symbol per
/// character (or per UTF-8 byte with <c>byte_fallback</c>, or one <c>unk_token</c> for a run of unknown characters
/// with <c>fuse_unk</c>), then the adjacent pair with the lowest merge rank is merged, leftmost first on ties, until
/// no pair has a merge. With <c>ignore_merges</c> (Llama 3) a word that is itself in the vocabulary is one token.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' BpeTokenizer (2.0.1) runs the merges where it can express the model exactly: Qwen's,
/// GPT-2's, Pythia's and OLMo's files (no byte fallback, no ignore_merges, merges written as "left right"). It has
/// neither byte fallback (Llama 2, Gemma) nor ignore_merges (Llama 3), so for those the merges are run here, by
/// hand, with a priority queue over merge ranks and a cache of words, as HF does. Both agree on the Qwen3 file
/// (FastTokenizerTests).
/// </remarks>
internal sealed class BpeModel
{
    const int CachedWordLength = 256;
    const int CacheCapacity = 10_000;

    readonly Dictionary<string, int> vocab;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabBySpan;
    readonly Dictionary<int, string> tokens;
    readonly Dictionary<long, (int Rank, int NewId)> merges;
    readonly int? unkId;
    readonly string? prefix, suffix;
    readonly bool fuseUnk, byteFallback, ignoreMerges;
    readonly int[]? byteIds;
    readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    int cached;
    readonly Microsoft.ML.Tokenizers.Tokenizer? library;

    BpeModel(Dictionary<string, int> vocab, Dictionary<long, (int, int)> merges, int? unkId, string? prefix, string? suffix,
        bool fuseUnk, bool byteFallback, bool ignoreMerges, Microsoft.ML.Tokenizers.Tokenizer? library, List<(string Left, string Right)> mergeList)
    {
        MergeList = mergeList;
        this.library = library;
        this.vocab = vocab;
        vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        tokens = [];
        foreach (var (token, id) in vocab) tokens[id] = token;
        this.merges = merges;
        this.unkId = unkId;
        (this.prefix, this.suffix) = (string.IsNullOrEmpty(prefix) ? null : prefix, string.IsNullOrEmpty(suffix) ? null : suffix);
        (this.fuseUnk, this.byteFallback, this.ignoreMerges) = (fuseUnk, byteFallback, ignoreMerges);
        if (byteFallback)
        {
            // <0x00> … <0xFF>; a character falls back to bytes only if every one of its bytes has a token.
            byteIds = new int[256];
            for (int b = 0; b < 256; b++) byteIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    /// <summary>The merges as listed, in rank order (the GGUF export writes them).</summary>
    public IReadOnlyList<(string Left, string Right)> MergeList { get; }

    /// <summary>Whether a character with no token falls back to byte tokens (SentencePiece-style files).</summary>
    public bool ByteFallback => byteFallback;

    /// <summary>Whether a word that is itself a token skips the merges (Llama 3).</summary>
    public bool IgnoreMerges => ignoreMerges;

    /// <summary>The model's tokens by id (added tokens are not here).</summary>
    public IReadOnlyDictionary<int, string> Tokens => tokens;

    /// <summary>The id of a token of the model's vocabulary.</summary>
    public int? IdOf(string token) => vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>Reads the <c>model</c> object of a <c>tokenizer.json</c> whose type is BPE.</summary>
    public static BpeModel Read(JsonNode node)
    {
        node.OnlyFields("type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk",
            "byte_fallback", "ignore_merges", "vocab", "merges");
        if (node.Child("dropout") is { } dropout && !(dropout.Element.ValueKind == JsonValueKind.Number && dropout.Element.GetDouble() == 0))
            throw dropout.Error("BPE dropout is not supported (it merges at random)");
        var vocab = ReadVocab(node.Required("vocab"));
        string? prefix = node.String("continuing_subword_prefix"), unk = node.String("unk_token");
        int? unkId = unk is null ? null : vocab.TryGetValue(unk, out int id) ? id
            : throw node.Required("unk_token").Error($"unk_token \"{JsonNode.Quote(unk)}\" is not in the vocabulary");
        var mergeList = new List<(string Left, string Right)>();
        var merges = ReadMerges(node.Child("merges"), vocab, prefix?.Length ?? 0, mergeList);
        string? suffix = node.String("end_of_word_suffix");
        bool fuseUnk = node.Bool("fuse_unk", false), byteFallback = node.Bool("byte_fallback", false), ignoreMerges = node.Bool("ignore_merges", false);
        bool libraryFits = !byteFallback && !ignoreMerges && !mergeList.Any(m => m.Left.Contains(' ') || m.Right.Contains(' '));
        var library = libraryFits ? LibraryBpe(node.File, vocab, mergeList, unk, fuseUnk, prefix, suffix) : null;
        return new BpeModel(vocab, merges, unkId, prefix, suffix, fuseUnk, byteFallback, ignoreMerges, library, mergeList);
    }

    // No pre-tokenizer, normalizer or byte-level mapping: the pipeline has done those; the library only merges.
    static Microsoft.ML.Tokenizers.Tokenizer LibraryBpe(string file, Dictionary<string, int> vocab, List<(string Left, string Right)> merges,
        string? unk, bool fuseUnk, string? prefix, string? suffix) =>
        LibraryTokenizerFile.Load(file, "BPE model", () => Microsoft.ML.Tokenizers.BpeTokenizer.Create(new Microsoft.ML.Tokenizers.BpeOptions(vocab)
        {
            Merges = merges.Select(m => $"{m.Left} {m.Right}"),
            UnknownToken = unk,
            FuseUnknownTokens = fuseUnk,
            ContinuingSubwordPrefix = string.IsNullOrEmpty(prefix) ? null : prefix,
            EndOfWordSuffix = string.IsNullOrEmpty(suffix) ? null : suffix,
        }));

    static Dictionary<string, int> ReadVocab(JsonNode node)
    {
        if (node.Element.ValueKind != JsonValueKind.Object) throw node.Error("is not an object of token ids");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<int>();
        foreach (var entry in node.Element.EnumerateObject())
        {
            // The entry's place is spelled out only for an error: Gemma 3 has 262,144 entries.
            int id = entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt32(out int value) && value is >= 0 and <= JsonNode.MaxId
                ? value
                : new JsonNode(entry.Value, node.File, $"{node.Where}[\"{JsonNode.Quote(entry.Name)}\"]").AsId();
            // Two tokens with one id would decode ambiguously.
            if (!seen.Add(id)) throw node.Error($"id {id} is given to two tokens (one is \"{JsonNode.Quote(entry.Name)}\")");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    // (left id, right id) → (rank, merged id). A pair listed twice keeps its last rank, as HF's map does.
    static Dictionary<long, (int, int)> ReadMerges(JsonNode? node, Dictionary<string, int> vocab, int prefixLength, List<(string, string)> list)
    {
        var merges = new Dictionary<long, (int, int)>();
        if (node is null) return merges;
        if (node.Value.Element.ValueKind != JsonValueKind.Array) throw node.Value.Error("is not a JSON array");
        int rank = 0;
        foreach (var element in node.Value.Element.EnumerateArray())
        {
            // As for the vocabulary, a merge's place is named only when it is wrong.
            JsonNode Item() => new(element, node.Value.File, $"{node.Value.Where}[{rank}]");
            var (left, right) = PairOf(element) ?? SplitMerge(element) ?? throw Item().Error("is not two tokens separated by one space, nor a pair of tokens");
            if (right.Length < prefixLength) throw Item().Error($"merge \"{JsonNode.Quote(right)}\" is shorter than continuing_subword_prefix");
            int leftId = Known(Item, vocab, left), rightId = Known(Item, vocab, right);
            int newId = Known(Item, vocab, left + right[prefixLength..]);
            merges[Pair(leftId, rightId)] = (rank++, newId);
            list.Add((left, right));
        }
        return merges;
    }

    // The newer ["left", "right"] form.
    static (string, string)? PairOf(JsonElement element) =>
        element is { ValueKind: JsonValueKind.Array } && element.GetArrayLength() == 2
        && element[0].ValueKind == JsonValueKind.String && element[1].ValueKind == JsonValueKind.String
            ? (element[0].GetString()!, element[1].GetString()!)
            : null;

    // The older "left right" form: exactly one space, as HF's convert_merges_to_hashmap requires.
    static (string, string)? SplitMerge(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return null;
        string[] parts = element.GetString()!.Split(' ');
        return parts.Length == 2 ? (parts[0], parts[1]) : null;
    }

    static int Known(Func<JsonNode> item, Dictionary<string, int> vocab, string token) =>
        vocab.TryGetValue(token, out int id) ? id : throw item().Error($"merges token \"{JsonNode.Quote(token)}\", which is not in the vocabulary");

    static long Pair(int left, int right) => (long)left << 32 | (uint)right;

    static long Priority(int rank, int position) => (long)rank << 32 | (uint)position;

    /// <summary>The ids of one pre-tokenized word.</summary>
    public int[] Tokenize(string word)
    {
        if (word.Length == 0) return [];
        if (ignoreMerges && vocab.TryGetValue(word, out int whole)) return [whole];
        if (library is not null) return [.. library.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false)];
        if (cache.TryGetValue(word, out var hit)) return hit;
        int[] ids = Merge(Symbols(word));
        // ConcurrentDictionary.Count takes every lock, so the entries are counted here.
        if (word.Length < CachedWordLength && cached < CacheCapacity && cache.TryAdd(word, ids)) Interlocked.Increment(ref cached);
        return ids;
    }

    // One symbol per character (HF's merge_word before merging).
    List<int> Symbols(string word)
    {
        var symbols = new List<int>(word.Length);
        bool pendingUnk = false;
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var character = word.AsSpan(i, length);
            bool first = i == 0;
            i += length;
            bool last = i == word.Length;
            int id = Lookup(character, first, last);
            if (id >= 0)
            {
                if (pendingUnk) symbols.Add(unkId!.Value);
                pendingUnk = false;
                symbols.Add(id);
                continue;
            }
            // A pending unk is not written before the bytes: HF adds it after them.
            if (byteFallback && AddBytes(symbols, character, first, last)) continue;
            if (unkId is null) continue;  // HF drops a character it has no token for when there is no unk_token
            if (pendingUnk && !fuseUnk) symbols.Add(unkId.Value);
            pendingUnk = true;
        }
        if (pendingUnk) symbols.Add(unkId!.Value);
        return symbols;
    }

    int Lookup(ReadOnlySpan<char> character, bool first, bool last)
    {
        if (prefix is null && suffix is null) return vocabBySpan.TryGetValue(character, out int id) ? id : -1;
        string symbol = (!first && prefix is not null ? prefix : "") + character.ToString() + (last && suffix is not null ? suffix : "");
        return vocab.TryGetValue(symbol, out int affixed) ? affixed : -1;
    }

    // HF falls back on the bytes of the symbol as looked up, prefix and suffix included.
    bool AddBytes(List<int> symbols, ReadOnlySpan<char> character, bool first, bool last)
    {
        string symbol = (!first && prefix is not null ? prefix : "") + character.ToString() + (last && suffix is not null ? suffix : "");
        byte[] utf8 = Encoding.UTF8.GetBytes(symbol);
        if (utf8.Any(b => byteIds![b] < 0)) return false;
        foreach (byte b in utf8) symbols.Add(byteIds![b]);
        return true;
    }

    // Lowest rank first, then leftmost (HF's Word::merge_all without dropout).
    int[] Merge(List<int> symbols)
    {
        int n = symbols.Count;
        var ids = symbols.ToArray();
        var prev = new int[n];
        var next = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) (prev[i], next[i], alive[i]) = (i - 1, i + 1 < n ? i + 1 : -1, true);
        // Priority rank·2³² + position: lowest rank first, leftmost among equals.
        var queue = new PriorityQueue<(int Pos, int NewId), long>();
        for (int i = 0; i + 1 < n; i++)
            if (merges.TryGetValue(Pair(ids[i], ids[i + 1]), out var m)) queue.Enqueue((i, m.NewId), Priority(m.Rank, i));
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            // A stale entry: one of the two symbols has changed since it was queued.
            if (!merges.TryGetValue(Pair(ids[pos], ids[right]), out var current) || current.NewId != top.NewId) continue;
            ids[pos] = top.NewId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0 && merges.TryGetValue(Pair(ids[prev[pos]], ids[pos]), out var before))
                queue.Enqueue((prev[pos], before.NewId), Priority(before.Rank, prev[pos]));
            if (next[pos] >= 0 && merges.TryGetValue(Pair(ids[pos], ids[next[pos]]), out var after))
                queue.Enqueue((pos, after.NewId), Priority(after.Rank, pos));
        }
        var result = new List<int>(n);
        for (int i = 0; i < n; i++) if (alive[i]) result.Add(ids[i]);
        return [.. result];
    }
}
