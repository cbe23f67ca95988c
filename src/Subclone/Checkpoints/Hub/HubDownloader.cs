namespace Subclone.Checkpoints.Hub;

/// <summary>
/// Turns a Hub model id into a local snapshot directory that <see cref="HfCheckpoint.Load"/> can read, downloading into
/// the shared Hub cache only what is missing. A revision the cache already has complete is used without any request:
/// running the same command twice, or after Python downloaded the model, needs no network.
/// </summary>
public static class HubDownloader
{
    /// <summary>The cached snapshot directory of <paramref name="id"/> if it holds a complete model (config and all weights), else null.</summary>
    public static string? FindCached(HubModelId id, HubSettings settings)
    {
        var cache = new HubCache(settings.CacheDirectory);
        return cache.CachedCommit(id) is string commit && MissingFile(cache.SnapshotFolder(id, commit)) is null
            ? cache.SnapshotFolder(id, commit)
            : null;
    }

    /// <see cref="ResolveAsync"/>, waited for: the snapshot directory of <paramref name="id"/>, from the cache or downloaded.
    public static string Resolve(HubModelId id, HubSettings settings, IProgress<HubDownloadProgress>? progress = null) =>
        ResolveAsync(id, settings, progress).GetAwaiter().GetResult();

    /// <summary>
    /// The snapshot directory of <paramref name="id"/>: from the cache if complete, else downloaded (unless offline).
    /// config.json is fetched first: it proves the model and revision exist and pins the commit that every other file is
    /// fetched at, so a push during the download cannot mix two versions. The ref file is written last, so a revision the
    /// cache knows is one whose files all arrived.
    /// </summary>
    public static async Task<string> ResolveAsync(HubModelId id, HubSettings settings, IProgress<HubDownloadProgress>? progress = null, CancellationToken ct = default)
    {
        if (FindCached(id, settings) is string cached) return cached;
        var cache = new HubCache(settings.CacheDirectory);
        if (settings.Offline)
        {
            string? known = cache.CachedCommit(id);
            string? missing = known is null ? null : MissingFile(cache.SnapshotFolder(id, known));
            throw new CheckpointException(id.ToString(), missing is null
                ? $"not in the Hugging Face cache ({settings.CacheDirectory}) and HF_HUB_OFFLINE is set"
                : $"the cached snapshot {known} lacks {missing} and HF_HUB_OFFLINE is set");
        }

        try
        {
            return await DownloadAsync(id, settings, cache, progress, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(id.ToString(), $"cannot write to the Hugging Face cache at {settings.CacheDirectory} ({e.Message})");
        }
    }

    /// <summary>
    /// Only the config.json of <paramref name="id"/>, for sizing a model before fetching its weights: from any cached
    /// snapshot of the revision, else downloaded alone into the cache (the revision's ref is not written, so the
    /// cache does not take the snapshot for a complete one).
    /// </summary>
    public static string ResolveConfig(HubModelId id, HubSettings settings, IProgress<HubDownloadProgress>? progress = null) =>
        ResolveConfigAsync(id, settings, progress).GetAwaiter().GetResult();

    /// <summary><see cref="ResolveConfig"/>, asynchronously.</summary>
    public static async Task<string> ResolveConfigAsync(HubModelId id, HubSettings settings, IProgress<HubDownloadProgress>? progress = null, CancellationToken ct = default)
    {
        var cache = new HubCache(settings.CacheDirectory);
        if (cache.CachedCommit(id) is string known && File.Exists(Path.Combine(cache.SnapshotFolder(id, known), HfCheckpoint.ConfigFile)))
            return Path.Combine(cache.SnapshotFolder(id, known), HfCheckpoint.ConfigFile);
        if (settings.Offline)
            throw new CheckpointException(id.ToString(), $"not in the Hugging Face cache ({settings.CacheDirectory}) and HF_HUB_OFFLINE is set");
        try
        {
            using var client = new HubClient(settings);
            var config = await client.HeadAsync(id, id.Revision, HfCheckpoint.ConfigFile, ct);
            if (!config.Exists)
                throw new CheckpointException(id.ToString(), config.ErrorCode == "EntryNotFound"
                    ? "the Hub repository has no config.json (not a transformers model)"
                    : "no such model or revision on the Hub (nor a local path)");
            await FetchAsync(client, cache, id, config.Commit!, HfCheckpoint.ConfigFile, config, progress, ct);
            return Path.Combine(cache.SnapshotFolder(id, config.Commit!), HfCheckpoint.ConfigFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(id.ToString(), $"cannot write to the Hugging Face cache at {settings.CacheDirectory} ({e.Message})");
        }
    }

    static async Task<string> DownloadAsync(HubModelId id, HubSettings settings, HubCache cache, IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        using var client = new HubClient(settings);
        var config = await client.HeadAsync(id, id.Revision, HfCheckpoint.ConfigFile, ct);
        if (!config.Exists)
            throw new CheckpointException(id.ToString(), config.ErrorCode == "EntryNotFound"
                ? "the Hub repository has no config.json (not a transformers model)"
                : "no such model or revision on the Hub (nor a local path)");
        string commit = config.Commit!;
        string snapshot = cache.SnapshotFolder(id, commit);
        await FetchAsync(client, cache, id, commit, HfCheckpoint.ConfigFile, config, progress, ct);

        foreach (var file in HfCheckpoint.CompanionFiles)
            await FetchIfPresentAsync(client, cache, id, commit, file, progress, ct);

        if (!await FetchIfPresentAsync(client, cache, id, commit, HfCheckpoint.SingleFile, progress, ct))
        {
            if (!await FetchIfPresentAsync(client, cache, id, commit, HfCheckpoint.IndexFile, progress, ct))
                throw new CheckpointException(id.ToString(), "has neither model.safetensors nor model.safetensors.index.json on the Hub (PyTorch .bin checkpoints are not supported)");
            foreach (var shard in HfCheckpoint.ShardNames(Path.Combine(snapshot, HfCheckpoint.IndexFile)))
                if (!await FetchIfPresentAsync(client, cache, id, commit, shard, progress, ct))
                    throw new CheckpointException(id.ToString(), $"model.safetensors.index.json lists shard '{shard}', which is not on the Hub");
        }

        cache.WriteRef(id, commit);
        return snapshot;
    }

    /// <summary>Fetches a file that may be absent (404): returns whether it exists. Absent files are remembered in .no_exist as Python does.</summary>
    static async Task<bool> FetchIfPresentAsync(HubClient client, HubCache cache, HubModelId id, string commit, string file,
        IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        var meta = await client.HeadAsync(id, commit, file, ct);
        if (!meta.Exists)
        {
            if (meta.ErrorCode == "EntryNotFound") cache.MarkMissing(id, commit, file);
            return false;
        }
        await FetchAsync(client, cache, id, commit, file, meta, progress, ct);
        return true;
    }

    static async Task FetchAsync(HubClient client, HubCache cache, HubModelId id, string commit, string file, HubFileMetadata meta,
        IProgress<HubDownloadProgress>? progress, CancellationToken ct)
    {
        if (!File.Exists(cache.BlobPath(id, meta.Etag!))) await client.DownloadBlobAsync(id, file, meta, cache, progress, ct);
        cache.Link(id, commit, file, meta.Etag!);
    }

    /// <summary>The first file a complete snapshot needs that this one lacks (config.json, the weights, every shard), or null.</summary>
    static string? MissingFile(string snapshot)
    {
        if (!File.Exists(Path.Combine(snapshot, HfCheckpoint.ConfigFile))) return HfCheckpoint.ConfigFile;
        if (File.Exists(Path.Combine(snapshot, HfCheckpoint.SingleFile))) return null;
        string index = Path.Combine(snapshot, HfCheckpoint.IndexFile);
        if (!File.Exists(index)) return HfCheckpoint.SingleFile;
        try
        {
            return HfCheckpoint.ShardNames(index).FirstOrDefault(shard => !File.Exists(Path.Combine(snapshot, shard)));
        }
        catch (CheckpointException)
        {
            // An unreadable index is reported by the loader, with its own message.
            return null;
        }
    }
}
