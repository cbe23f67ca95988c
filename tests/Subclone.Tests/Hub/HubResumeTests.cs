using Subclone.Checkpoints;
using Subclone.Checkpoints.Hub;
using Subclone.Tests.Support;

namespace Subclone.Tests.Hub;

/// <summary>Interrupted, stalled and corrupted downloads: resumed with Range, byte-identical, or rejected.</summary>
public sealed class HubResumeTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly FakeHub _hub = new();
    readonly FakeRepo _repo;
    readonly byte[] _weights;
    readonly string _sha;

    public HubResumeTests()
    {
        _repo = _hub.Add(new FakeRepo("tiny-org/tiny-gpt2", HubTestModels.Gpt2(_temp["source"])));
        _weights = _repo.Files["model.safetensors"];
        _sha = FakeHub.Sha256(_weights);
    }

    public void Dispose()
    {
        _hub.Dispose();
        _temp.Dispose();
    }

    string Cache => _temp["hub-cache"];
    string Blob => Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "blobs", _sha);
    static HubModelId Id => HubModelId.TryParse("tiny-org/tiny-gpt2", out var id) ? id : throw new InvalidOperationException();

    List<RecordedRequest> WeightGets() => _hub.Cdn.Requests.Where(r => r.Method == "GET" && r.Target.Contains(_sha)).ToList();

    [Fact]
    public void A_connection_dropped_mid_file_is_resumed_with_Range_and_the_blob_is_byte_identical()
    {
        Assert.True(_weights.Length > 20_000, "the weights should be large enough to cut");
        _hub.DropOnce(_sha, 10_000);

        string snapshot = HubDownloader.Resolve(Id, _hub.Settings(Cache));

        var gets = WeightGets();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Header("Range"));
        Assert.Equal("bytes=10000-", gets[1].Header("Range"));
        Assert.Equal(_weights, File.ReadAllBytes(Blob));
        Assert.Equal(_weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.False(File.Exists(Blob + ".incomplete"));
    }

    [Fact]
    public void A_stalled_connection_times_out_and_resumes()
    {
        _hub.StallOnce(_sha, 5_000, TimeSpan.FromSeconds(20));
        var settings = _hub.Settings(Cache) with { ReadTimeout = TimeSpan.FromMilliseconds(500) };

        var watch = System.Diagnostics.Stopwatch.StartNew();
        HubDownloader.Resolve(Id, settings);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}: the stall was waited out, not timed out");
        Assert.Equal("bytes=5000-", WeightGets()[1].Header("Range"));
        Assert.Equal(_weights, File.ReadAllBytes(Blob));
    }

    [Fact]
    public void A_partial_download_left_by_an_earlier_run_is_resumed()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Blob)!);
        File.WriteAllBytes(Blob + ".incomplete", _weights[..12_345]);

        HubDownloader.Resolve(Id, _hub.Settings(Cache));

        var get = Assert.Single(WeightGets());
        Assert.Equal("bytes=12345-", get.Header("Range"));
        Assert.Equal(_weights, File.ReadAllBytes(Blob));
    }

    [Fact]
    public void Giving_up_keeps_the_partial_file_and_the_next_run_finishes_it()
    {
        for (int i = 0; i < 3; i++) _hub.DropOnce(_sha, 1_000 * (i + 1));
        var settings = _hub.Settings(Cache) with { MaxAttempts = 3 };

        var e = Assert.Throws<CheckpointException>(() => HubDownloader.Resolve(Id, settings));
        Assert.StartsWith("tiny-org/tiny-gpt2: downloading model.safetensors failed after 3 attempts (", e.Message);
        Assert.EndsWith("run again to resume", e.Message);
        Assert.Equal(6_000, new FileInfo(Blob + ".incomplete").Length);
        Assert.False(File.Exists(Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "refs", "main")));

        HubDownloader.Resolve(Id, settings);
        Assert.Equal("bytes=6000-", WeightGets()[^1].Header("Range"));
        Assert.Equal(_weights, File.ReadAllBytes(Blob));
    }

    [Fact]
    public void A_sha256_mismatch_is_detected_and_the_download_deleted()
    {
        _hub.Corrupt(_sha);

        var e = Assert.Throws<CheckpointException>(() => HubDownloader.Resolve(Id, _hub.Settings(Cache)));
        Assert.Contains($"model.safetensors as downloaded has sha256 ", e.Message);
        Assert.Contains($"but the Hub says {_sha}", e.Message);
        Assert.False(File.Exists(Blob));
        Assert.False(File.Exists(Blob + ".incomplete"));
        Assert.False(File.Exists(Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "snapshots", _repo.Commit, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(Cache, "models--tiny-org--tiny-gpt2", "refs", "main")));
    }
}
