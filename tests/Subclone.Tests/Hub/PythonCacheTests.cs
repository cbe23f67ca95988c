using Subclone.Checkpoints;
using Subclone.Checkpoints.Hub;
using Subclone.Tests.Support;

namespace Subclone.Tests.Hub;

/// <summary>A cache written the way Python's huggingface_hub writes it (built here by hand, not by our code) is used as is.</summary>
public sealed class PythonCacheTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly FakeHub _emptyHub = new();

    public void Dispose()
    {
        _emptyHub.Dispose();
        _temp.Dispose();
    }

    /// <summary>blobs/&lt;etag&gt;, refs/&lt;revision&gt; without newline, snapshots/&lt;commit&gt;/&lt;file&gt; → ../../blobs/&lt;etag&gt;.</summary>
    static void WritePythonCache(string cache, string repoId, string revision, string commit, Dictionary<string, byte[]> files)
    {
        string repo = Path.Combine(cache, "models--" + repoId.Replace("/", "--"));
        Directory.CreateDirectory(Path.Combine(repo, "blobs"));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", commit));
        File.WriteAllText(Path.Combine(repo, "refs", revision), commit);
        foreach (var (file, content) in files)
        {
            string etag = FakeHub.Etag(file, content);
            File.WriteAllBytes(Path.Combine(repo, "blobs", etag), content);
            File.CreateSymbolicLink(Path.Combine(repo, "snapshots", commit, file), $"../../blobs/{etag}");
        }
    }

    [Fact]
    public void A_python_written_cache_is_loaded_without_any_request()
    {
        var files = HubTestModels.Gpt2(_temp["source"]);
        const string commit = "0123456789abcdef0123456789abcdef01234567";
        WritePythonCache(_temp["cache"], "HuggingFaceTB/SmolLM2-tiny", "main", commit, files);

        var source = ModelSource.Load("HuggingFaceTB/SmolLM2-tiny", _emptyHub.Settings(_temp["cache"]));

        ModelAssert.BitIdentical(HfCheckpoint.Load(_temp["source"]).Model, source.Model);
        Assert.Equal(Path.Combine(_temp["cache"], "models--HuggingFaceTB--SmolLM2-tiny", "snapshots", commit), source.Directory);
        Assert.Empty(_emptyHub.AllRequests);
    }

    [Fact]
    public void A_single_name_model_and_a_tag_resolve_through_their_refs()
    {
        var files = HubTestModels.Gpt2(_temp["source"]);
        const string commit = "fedcba9876543210fedcba9876543210fedcba98";
        WritePythonCache(_temp["cache"], "gpt2", "v2", commit, files);

        Assert.Equal(Path.Combine(_temp["cache"], "models--gpt2", "snapshots", commit),
            HubDownloader.Resolve(new HubModelId("gpt2", "v2"), _emptyHub.Settings(_temp["cache"], offline: true)));
        Assert.Null(HubDownloader.FindCached(new HubModelId("gpt2", "main"), _emptyHub.Settings(_temp["cache"])));
    }

    [SharedFact]
    public void The_gpt2_tiny_fixture_served_by_the_hub_loads_like_its_directory()
    {
        string fixture = SharedData.Fixture("gpt2-tiny");
        var files = new[] { "config.json", "model.safetensors" }.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(fixture, f)));
        _emptyHub.Add(new FakeRepo("fixtures/gpt2-tiny", files));

        var viaHub = ModelSource.Load("fixtures/gpt2-tiny", _emptyHub.Settings(_temp["cache"]));

        ModelAssert.BitIdentical(HfCheckpoint.Load(fixture).Model, viaHub.Model);
        Assert.Equal(viaHub.StoredDtype, HfCheckpoint.Load(fixture).StoredDtype);
    }
}
