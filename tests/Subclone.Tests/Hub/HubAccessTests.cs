using Subclone.Checkpoints;
using Subclone.Checkpoints.Hub;
using Subclone.Tests.Support;

namespace Subclone.Tests.Hub;

/// <summary>Tokens, gated and missing models, servers that are not the Hub: what is sent where, and the one-line errors.</summary>
public sealed class HubAccessTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly FakeHub _hub = new();

    public HubAccessTests()
    {
        var files = HubTestModels.Gpt2(_temp["source"]);
        _hub.Add(new FakeRepo("tiny-org/tiny-gpt2", files));
        _hub.Add(new FakeRepo("gated-org/gated", files) { RequiredToken = "hf_secret" });
        _hub.Add(new FakeRepo("tiny-org/pytorch-only", new Dictionary<string, byte[]>
        {
            ["config.json"] = files["config.json"], ["pytorch_model.bin"] = [1, 2, 3],
        }));
        _hub.Add(new FakeRepo("tiny-org/no-config", new Dictionary<string, byte[]> { ["model.safetensors"] = files["model.safetensors"] }));
    }

    public void Dispose()
    {
        _hub.Dispose();
        _temp.Dispose();
    }

    string Cache => _temp["hub-cache"];

    string Failure(string spec, HubSettings? settings = null) =>
        Assert.Throws<CheckpointException>(() => ModelSource.Load(spec, settings ?? _hub.Settings(Cache))).Message;

    [Fact]
    public void The_token_goes_to_the_hub_but_not_to_the_cdn()
    {
        var source = ModelSource.Load("gated-org/gated", _hub.Settings(Cache, token: "hf_secret"));
        Assert.Equal(16, source.Model.Config.Hidden);

        Assert.NotEmpty(_hub.Hub.Requests);
        Assert.All(_hub.Hub.Requests, r => Assert.Equal("Bearer hf_secret", r.Header("Authorization")));
        Assert.NotEmpty(_hub.Cdn.Requests);
        Assert.All(_hub.Cdn.Requests, r => Assert.Null(r.Header("Authorization")));
    }

    [Fact]
    public void No_token_is_sent_when_none_is_set()
    {
        ModelSource.Load("tiny-org/tiny-gpt2", _hub.Settings(Cache));
        Assert.All(_hub.AllRequests, r => Assert.Null(r.Header("Authorization")));
    }

    [Fact]
    public void A_gated_model_without_a_token_is_access_denied()
    {
        Assert.Equal("gated-org/gated: access denied (set HF_TOKEN)", Failure("gated-org/gated"));
        Assert.False(Directory.Exists(Path.Combine(Cache, "models--gated-org--gated", "snapshots")));
    }

    [Fact]
    public void A_token_without_access_is_access_denied_naming_the_token()
    {
        string message = Failure("gated-org/gated", _hub.Settings(Cache, token: "hf_wrong"));
        Assert.StartsWith("gated-org/gated: access denied with the HF_TOKEN given", message);
        Assert.DoesNotContain("hf_wrong", message);
    }

    [Theory]
    [InlineData("nobody/nothing")]
    [InlineData("tiny-org/tiny-gpt2@no-such-branch")]
    public void An_unknown_model_or_revision_is_reported_as_such(string spec)
    {
        Assert.Equal($"{spec}: no such model or revision on the Hub (nor a local path)", Failure(spec));
        Assert.Single(_hub.AllRequests);
    }

    [Fact]
    public void A_repository_with_only_pytorch_weights_is_rejected()
    {
        Assert.Equal("tiny-org/pytorch-only: has neither model.safetensors nor model.safetensors.index.json on the Hub (PyTorch .bin checkpoints are not supported)",
            Failure("tiny-org/pytorch-only"));
    }

    [Fact]
    public void A_repository_without_config_json_is_rejected()
    {
        Assert.Equal("tiny-org/no-config: the Hub repository has no config.json (not a transformers model)", Failure("tiny-org/no-config"));
    }

    [Fact]
    public void An_endpoint_with_nothing_listening_fails_at_once_naming_it()
    {
        string endpoint;
        using (var closed = new LocalHttpServer(_ => throw new InvalidOperationException())) endpoint = closed.BaseUrl;
        var settings = _hub.Settings(Cache) with { Endpoint = endpoint, RetryDelay = TimeSpan.FromSeconds(30) };

        var watch = System.Diagnostics.Stopwatch.StartNew();
        string message = Failure("tiny-org/tiny-gpt2", settings);
        Assert.StartsWith($"tiny-org/tiny-gpt2: cannot reach {endpoint} (", message);
        Assert.EndsWith($"and the model is not in the cache at {Cache}", message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "an unreachable endpoint is not retried");
    }

    [Fact]
    public void A_server_that_is_not_the_hub_is_named_as_such()
    {
        using var web = new LocalHttpServer(_ => new Reply(200, new Dictionary<string, string>(), "<html></html>"u8.ToArray()));
        string message = Failure("tiny-org/tiny-gpt2", _hub.Settings(Cache) with { Endpoint = web.BaseUrl });
        Assert.Equal($"tiny-org/tiny-gpt2: {web.BaseUrl} answered for config.json without X-Repo-Commit and ETag headers: it does not look like the Hugging Face Hub (check HF_ENDPOINT and proxy settings)", message);
    }

    [Fact]
    public void A_server_error_is_retried()
    {
        int calls = 0;
        using var flaky = new LocalHttpServer(request =>
        {
            if (Interlocked.Increment(ref calls) == 1) return new Reply(503, new Dictionary<string, string>(), []);
            return new Reply(404, new Dictionary<string, string> { ["X-Error-Code"] = "RepoNotFound" }, []);
        });
        string message = Failure("tiny-org/tiny-gpt2", _hub.Settings(Cache) with { Endpoint = flaky.BaseUrl });
        Assert.Equal(2, flaky.Requests.Count);
        Assert.EndsWith("no such model or revision on the Hub (nor a local path)", message);
    }

    [Fact]
    public void A_hostile_etag_cannot_name_a_file_outside_the_cache()
    {
        using var hostile = new LocalHttpServer(_ => new Reply(200, new Dictionary<string, string>
        {
            ["X-Repo-Commit"] = new string('a', 40), ["ETag"] = "\"../../../escape\"",
        }, "{}"u8.ToArray()));
        string message = Failure("tiny-org/tiny-gpt2", _hub.Settings(Cache) with { Endpoint = hostile.BaseUrl });
        Assert.Contains("ETag '../../../escape'", message);
        Assert.False(File.Exists(_temp["escape"]));
    }
}
