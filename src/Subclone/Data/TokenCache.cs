using System.Security.Cryptography;
using System.Text;
using Subclone.Data.Tokenizers;

namespace Subclone.Data;

/// <summary>
/// Text files, folders and .jsonl (read as <see cref="TextCorpus"/> reads them) tokenised once per tokenizer into a
/// flat token file plus a JSON sidecar, then reused for as long as the inputs' bytes are unchanged. Documents are
/// split into train and validation with a seed, so validation text is never trained on.
/// </summary>
public static class TokenCache
{
    /// <summary>Share of the documents held out for validation.</summary>
    public const double DefaultValidationFraction = 0.05;
    /// <summary>Fixed rather than the training seed, so runs with different seeds share one cache and one validation set.</summary>
    public const ulong DefaultSplitSeed = 0x5EED;

    /// <summary>$XDG_CACHE_HOME/subclone/tokens, else ~/.cache/subclone/tokens (XDG: a relative value is ignored).</summary>
    public static string DefaultDirectory(Func<string, string?>? environment = null)
    {
        string? xdg = (environment ?? Environment.GetEnvironmentVariable)("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "subclone", "tokens");
    }

    /// <summary>
    /// The tokens of <paramref name="paths"/> (none: the default corpus), from the cache when its sidecar matches
    /// the tokenizer, the split and the inputs' content hash, otherwise tokenised now and written atomically.
    /// </summary>
    public static TokenDataset Open(IReadOnlyList<string> paths, ITextTokenizer tokenizer, string? cacheDirectory = null,
        double validationFraction = DefaultValidationFraction, ulong splitSeed = DefaultSplitSeed, Action<string>? status = null)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new UserInputException($"validation fraction must be between 0 and 1, got {validationFraction}");
        var inputs = paths.Count == 0 ? [DefaultCorpus.Name] : paths.Select(Path.GetFullPath).ToList();
        var files = paths.Count == 0
            ? DefaultCorpus.Files().Select(f => (Name: Path.GetFileName(f), File: f)).ToList()
            : TextCorpus.Files(paths).Select(rf => (Name: rf.Root == rf.File ? Path.GetFileName(rf.File) : Path.GetRelativePath(rf.Root, rf.File), rf.File)).ToList();
        if (files.Count == 0) throw new UserInputException($"{string.Join(", ", paths)}: no .txt or .jsonl files found");

        string identity = TokenizerIdentity.Of(tokenizer);
        string directory = cacheDirectory ?? DefaultDirectory();
        if (File.Exists(directory)) throw new UserInputException($"--cache {directory} is a file; give a directory for the token cache");
        string key = Sha256Hex(string.Join("\n", [identity, .. inputs, validationFraction.ToString("R"), splitSeed.ToString()]))[..20];
        string tokenPath = Path.Combine(directory, key + ".tokens"), sidecarPath = Path.Combine(directory, key + ".json");
        string contentHash = ContentHash(files);

        var cached = TokenCacheInfo.TryRead(sidecarPath);
        if (cached is not null && cached.Tokenizer == identity && cached.ContentSha256 == contentHash && cached.SplitSeed == splitSeed
            && cached.ValidationFraction == validationFraction && cached.Inputs.SequenceEqual(inputs)
            && File.Exists(tokenPath) && new FileInfo(tokenPath).Length == cached.Tokens * cached.BytesPerToken)
            return TokenDataset.Open(tokenPath, cached);

        // The old sidecar goes first: a token file replaced under a sidecar that still matched other inputs would be trusted.
        if (File.Exists(sidecarPath)) File.Delete(sidecarPath);
        var info = Build(paths, inputs, tokenizer, identity, contentHash, tokenPath, validationFraction, splitSeed, status);
        info.Write(sidecarPath);
        return TokenDataset.Open(tokenPath, info);
    }

    static TokenCacheInfo Build(IReadOnlyList<string> paths, List<string> inputs, ITextTokenizer tokenizer, string identity, string contentHash,
        string tokenPath, double validationFraction, ulong splitSeed, Action<string>? status)
    {
        var documents = TextCorpus.Load(paths);
        // One document (a book, a file without blank lines) cannot give up a whole document for validation: its tail is
        // held out instead, as a contiguous run after the train tokens, so no validation window overlaps the train part.
        bool tail = documents.Count == 1;
        var validation = tail ? new HashSet<int>() : ValidationDocuments(documents.Count, validationFraction, splitSeed);
        status?.Invoke($"tokenizing {documents.Count} documents into {tokenPath}");

        int width = tokenizer.VocabSize <= 65536 ? 2 : 4;
        // Llama-style tokenizers mark starts with BOS; every tokenizer with EOS ends documents with it.
        int? bos = tokenizer.BosId is int b && b != tokenizer.EosId ? b : null;
        long tokens = 0, trainTokens = 0;
        AtomicFile.Write(tokenPath, temp =>
        {
            using var stream = new BufferedStream(File.Create(temp), 1 << 20);
            using var writer = new BinaryWriter(stream);
            void Put(int id)
            {
                if ((uint)id >= (uint)tokenizer.VocabSize)
                    throw new InvalidOperationException($"tokenizer produced id {id}, outside its vocabulary of {tokenizer.VocabSize}");
                if (width == 2) writer.Write((ushort)id); else writer.Write((uint)id);
                tokens++;
            }
            if (tail)
            {
                var ids = tokenizer.Encode(documents[0]);
                int held = (int)Math.Max(1, Math.Round(ids.Count * validationFraction));
                if (ids.Count - held < 1)
                    throw new UserInputException($"{string.Join(", ", inputs)}: one document of {ids.Count} tokens is too short to hold out a validation tail");
                if (bos is int bosId) Put(bosId);
                for (int i = 0; i < ids.Count - held; i++) Put(ids[i]);
                trainTokens = tokens;
                for (int i = ids.Count - held; i < ids.Count; i++) Put(ids[i]);
                if (tokenizer.EosId is int eos) Put(eos);
                status?.Invoke($"one document: its last {tokens - trainTokens:N0} tokens ({validationFraction:P0}) are held out for validation, after the train part");
                return;
            }
            foreach (bool held in new[] { false, true })
            {
                for (int d = 0; d < documents.Count; d++)
                {
                    if (validation.Contains(d) != held) continue;
                    if (bos is int bosId) Put(bosId);
                    foreach (int id in tokenizer.Encode(documents[d])) Put(id);
                    if (tokenizer.EosId is int eos) Put(eos);
                }
                if (!held) trainTokens = tokens;
            }
        });
        return new TokenCacheInfo
        {
            Tokenizer = identity, ContentSha256 = contentHash, Inputs = inputs, BytesPerToken = width,
            Documents = documents.Count, Tokens = tokens, SplitSeed = splitSeed, ValidationFraction = validationFraction,
            TrainDocuments = documents.Count - validation.Count, ValidationDocuments = validation.Count, TrainTokens = trainTokens,
            ValidationIsTail = tail,
        };
    }

    /// <summary>Indices of the held-out documents: a seeded shuffle's first max(1, round(n·fraction)), at most n − 1.</summary>
    public static HashSet<int> ValidationDocuments(int count, double fraction, ulong seed)
    {
        int held = Math.Clamp((int)Math.Round(count * fraction), 1, count - 1);
        var order = Enumerable.Range(0, count).ToArray();
        var random = new SplitMix64(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)random.NextInt64(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order.Take(held).ToHashSet();
    }

    /// <summary>SHA-256 over each file's name (relative to the path it was found under), length and bytes, in reading order.</summary>
    static string ContentHash(List<(string Name, string File)> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        foreach (var (name, file) in files)
        {
            using var stream = File.OpenRead(file);
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData([0]);
            sha.AppendData(BitConverter.GetBytes(stream.Length));
            int read;
            while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
