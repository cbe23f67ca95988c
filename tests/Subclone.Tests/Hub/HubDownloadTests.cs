using Subclone.Checkpoints;
using Subclone.Checkpoints.Hub;
using Subclone.Tests.Support;

namespace Subclone.Tests.Hub;

/// <summary>Downloading a Hub id into the cache: layout, reuse, offline mode, revisions, shards.</summary>
public sealed class HubDownloadTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly FakeHub _hub = new();

    public void Dispose()
    {
        _hub.Dispose();
        _temp.Dispose();
    }

    string Cache => _temp["hub-cache"];

    FakeRepo AddGpt2(string repoId = "tiny-org/tiny-gpt2", string[]? revisions = null, long maxShardBytes = 5_000_000_000) =>
        _hub.Add(new FakeRepo(repoId, HubTestModels.Gpt2(_temp["source-" + repoId.Replace('/', '-')], maxShardBytes))
        { Revisions = revisions ?? ["main"] });

    static HubModelId Id(string spec) => HubModelId.TryParse(spec, out var id) ? id : throw new ArgumentException(spec);

    /// <summary>Every file and symlink under a folder, by relative path with '/' separators.</summary>
    static SortedSet<string> Tree(string root) =>
        new(Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')), StringComparer.Ordinal);

    [Fact]
    public void Download_lays_out_the_cache_exactly_as_huggingface_hub_does()
    {
        var repo = AddGpt2();
        string snapshot = HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache));

        string repoFolder = Path.Combine(Cache, "models--tiny-org--tiny-gpt2");
        Assert.Equal(Path.Combine(repoFolder, "snapshots", repo.Commit), snapshot);
        var expected = new SortedSet<string>(StringComparer.Ordinal) { "refs/main" };
        foreach (var (file, content) in repo.Files)
        {
            expected.Add($"blobs/{FakeHub.Etag(file, content)}");
            expected.Add($"snapshots/{repo.Commit}/{file}");
        }
        foreach (var absent in HfCheckpoint.CompanionFiles.Where(f => !repo.Files.ContainsKey(f)))
            expected.Add($".no_exist/{repo.Commit}/{absent}");
        Assert.Equal(expected, Tree(repoFolder));

        // refs/main holds the bare commit hash, no newline.
        Assert.Equal(repo.Commit, File.ReadAllText(Path.Combine(repoFolder, "refs", "main")));
        foreach (var (file, content) in repo.Files)
        {
            string etag = FakeHub.Etag(file, content);
            var link = new FileInfo(Path.Combine(snapshot, file));
            Assert.Equal($"../../blobs/{etag}", link.LinkTarget);
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(repoFolder, "blobs", etag)));
            Assert.Equal(content, File.ReadAllBytes(link.FullName));
        }
        // LFS blobs are named by the content's sha256, small files by their git blob sha1.
        Assert.True(File.Exists(Path.Combine(repoFolder, "blobs", FakeHub.Sha256(repo.Files["model.safetensors"]))));
        Assert.True(File.Exists(Path.Combine(repoFolder, "blobs", FakeHub.GitBlobSha1(repo.Files["config.json"]))));
        // Python's lock files, one per downloaded blob, beside the repository folders.
        Assert.Equal(repo.Files.Select(f => FakeHub.Etag(f.Key, f.Value) + ".lock").ToHashSet(),
            Directory.GetFiles(Path.Combine(Cache, ".locks", "models--tiny-org--tiny-gpt2")).Select(f => Path.GetFileName(f)).ToHashSet());
    }

    [Fact]
    public void A_model_loads_from_the_hub_bit_identical_to_its_source_directory()
    {
        AddGpt2();
        var source = ModelSource.Load("tiny-org/tiny-gpt2", _hub.Settings(Cache));
        var original = HfCheckpoint.Load(_temp["source-tiny-org-tiny-gpt2"]);

        ModelAssert.BitIdentical(original.Model, source.Model);
        Assert.Equal("tiny-org/tiny-gpt2", source.Origin);
        Assert.StartsWith(Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "snapshots"), source.Directory);
    }

    [Fact]
    public void Only_the_first_load_makes_requests()
    {
        AddGpt2();
        var settings = _hub.Settings(Cache);
        ModelSource.Load("tiny-org/tiny-gpt2", settings);
        int first = _hub.AllRequests.Count;
        Assert.True(first > 0);

        ModelSource.Load("tiny-org/tiny-gpt2", settings);
        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), settings);
        Assert.Equal(first, _hub.AllRequests.Count);
    }

    [Fact]
    public void Each_file_is_fetched_once_at_the_commit_config_json_resolved_to()
    {
        var repo = AddGpt2();
        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache));

        var heads = _hub.Hub.Requests.Where(r => r.Method == "HEAD").Select(r => r.Target).ToList();
        Assert.Equal("/tiny-org/tiny-gpt2/resolve/main/config.json", heads[0]);
        Assert.All(heads.Skip(1), t => Assert.StartsWith($"/tiny-org/tiny-gpt2/resolve/{repo.Commit}/", t));
        var gets = _hub.AllRequests.Where(r => r.Method == "GET").Select(r => r.Target.Split('?')[0]).ToList();
        Assert.Equal(repo.Files.Count, gets.Count);
        Assert.Equal(gets.Count, gets.Distinct().Count());
    }

    [Fact]
    public void Offline_mode_uses_the_cache_without_any_request()
    {
        AddGpt2();
        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache));
        int before = _hub.AllRequests.Count;

        var source = ModelSource.Load("tiny-org/tiny-gpt2", _hub.Settings(Cache, offline: true));
        Assert.Equal(2, source.Model.Config.Layers);
        Assert.Equal(before, _hub.AllRequests.Count);
    }

    [Fact]
    public void Offline_mode_without_the_model_in_the_cache_fails_clearly_and_makes_no_request()
    {
        AddGpt2();
        var e = Assert.Throws<CheckpointException>(() => ModelSource.Load("tiny-org/tiny-gpt2", _hub.Settings(Cache, offline: true)));
        Assert.Equal($"tiny-org/tiny-gpt2: not in the Hugging Face cache ({Cache}) and HF_HUB_OFFLINE is set", e.Message);
        Assert.Empty(_hub.AllRequests);
    }

    [Fact]
    public void Offline_mode_names_the_file_an_incomplete_snapshot_lacks()
    {
        var repo = AddGpt2();
        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache));
        File.Delete(Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "snapshots", repo.Commit, "model.safetensors"));

        var e = Assert.Throws<CheckpointException>(() => HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache, offline: true)));
        Assert.Contains($"the cached snapshot {repo.Commit} lacks model.safetensors and HF_HUB_OFFLINE is set", e.Message);
    }

    [Fact]
    public void An_incomplete_snapshot_is_completed_online_without_downloading_blobs_it_has()
    {
        var repo = AddGpt2();
        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache));
        string link = Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "snapshots", repo.Commit, "model.safetensors");
        File.Delete(link);
        int getsBefore = _hub.AllRequests.Count(r => r.Method == "GET");

        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache));
        // The blob was still there: the link is made again, nothing is downloaded.
        Assert.Equal(getsBefore, _hub.AllRequests.Count(r => r.Method == "GET"));
        Assert.Equal(repo.Files["model.safetensors"], File.ReadAllBytes(link));
    }

    [Fact]
    public void A_branch_or_tag_gets_its_own_ref_and_a_commit_hash_needs_none()
    {
        var repo = AddGpt2(revisions: ["main", "v1.0"]);
        string repoFolder = Path.Combine(Cache, "models--tiny-org--tiny-gpt2");

        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2@v1.0"), _hub.Settings(Cache));
        Assert.Equal(["v1.0"], Directory.GetFiles(Path.Combine(repoFolder, "refs")).Select(Path.GetFileName));
        Assert.Equal(repo.Commit, File.ReadAllText(Path.Combine(repoFolder, "refs", "v1.0")));

        string otherCache = _temp["by-commit"];
        string snapshot = HubDownloader.Resolve(Id($"tiny-org/tiny-gpt2@{repo.Commit}"), _hub.Settings(otherCache));
        Assert.Equal(Path.Combine(otherCache, "models--tiny-org--tiny-gpt2", "snapshots", repo.Commit), snapshot);
        Assert.False(Directory.Exists(Path.Combine(otherCache, "models--tiny-org--tiny-gpt2", "refs")));
        Assert.Equal($"/tiny-org/tiny-gpt2/resolve/{repo.Commit}/config.json", _hub.Hub.Requests.Last(r => r.Target.EndsWith("/config.json")).Target);

        // A commit hash is its own ref: found in the cache with no request.
        int before = _hub.AllRequests.Count;
        HubDownloader.Resolve(Id($"tiny-org/tiny-gpt2@{repo.Commit}"), _hub.Settings(otherCache, offline: true));
        Assert.Equal(before, _hub.AllRequests.Count);
    }

    [Fact]
    public void A_sharded_model_fetches_the_index_and_every_shard()
    {
        var repo = AddGpt2(maxShardBytes: 8_000);
        var shards = repo.Files.Keys.Where(f => f.StartsWith("model-", StringComparison.Ordinal)).ToList();
        Assert.True(shards.Count >= 2, "the fixture should be sharded");
        Assert.DoesNotContain("model.safetensors", repo.Files.Keys);

        var source = ModelSource.Load("tiny-org/tiny-gpt2", _hub.Settings(Cache));
        ModelAssert.BitIdentical(HfCheckpoint.Load(_temp["source-tiny-org-tiny-gpt2"]).Model, source.Model);
        foreach (var shard in shards)
            Assert.Equal(repo.Files[shard], File.ReadAllBytes(Path.Combine(source.Directory!, shard)));
        Assert.True(File.Exists(Path.Combine(Cache, "models--tiny-org--tiny-gpt2", ".no_exist", repo.Commit, "model.safetensors")));
    }

    [Fact]
    public void Progress_is_reported_up_to_each_files_size()
    {
        var repo = AddGpt2();
        var reports = new List<HubDownloadProgress>();
        HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache), new ListProgress(reports));

        foreach (var (file, content) in repo.Files)
        {
            var last = reports.Last(r => r.File == file);
            Assert.Equal(content.Length, last.Downloaded);
            Assert.Equal(content.Length, last.Total);
        }
    }

    [Fact]
    public async Task A_download_waits_for_the_lock_another_process_holds_on_the_blob()
    {
        var repo = AddGpt2();
        string etag = FakeHub.Sha256(repo.Files["model.safetensors"]);
        string lockPath = Path.Combine(Cache, ".locks", "models--tiny-org--tiny-gpt2", etag + ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        Task<string> download;
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            download = Task.Run(() => HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache)));
            await Task.Delay(1500);
            Assert.False(download.IsCompleted);
            Assert.DoesNotContain(_hub.Cdn.Requests, r => r.Target.Contains(etag));
        }
        string snapshot = await download.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(repo.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
    }

    [Fact]
    public void A_cache_that_cannot_be_written_is_a_one_line_error()
    {
        AddGpt2();
        Directory.CreateDirectory(Cache);
        // A file where the lock folder belongs: creating the lock cannot succeed and must not be waited on.
        File.WriteAllText(Path.Combine(Cache, ".locks"), "");

        var e = Assert.Throws<CheckpointException>(() => HubDownloader.Resolve(Id("tiny-org/tiny-gpt2"), _hub.Settings(Cache)));
        Assert.StartsWith($"tiny-org/tiny-gpt2: cannot write to the Hugging Face cache at {Cache} (", e.Message);
    }

    sealed class ListProgress(List<HubDownloadProgress> reports) : IProgress<HubDownloadProgress>
    {
        public void Report(HubDownloadProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
