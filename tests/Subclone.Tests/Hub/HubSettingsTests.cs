using Subclone.Checkpoints.Hub;
using Subclone.Tests.Support;

namespace Subclone.Tests.Hub;

/// <summary>The environment variables huggingface_hub reads, read the same way (from a dictionary, not the process environment).</summary>
public class HubSettingsTests
{
    static HubSettings From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        map.TryAdd("HOME", "/home/u");
        return HubSettings.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void The_cache_directory_follows_huggingface_hubs_precedence()
    {
        Assert.Equal("/home/u/.cache/huggingface/hub", From().CacheDirectory);
        Assert.Equal("/xdg/huggingface/hub", From(("XDG_CACHE_HOME", "/xdg")).CacheDirectory);
        Assert.Equal("/hf/hub", From(("XDG_CACHE_HOME", "/xdg"), ("HF_HOME", "/hf")).CacheDirectory);
        Assert.Equal("/old", From(("HF_HOME", "/hf"), ("HUGGINGFACE_HUB_CACHE", "/old")).CacheDirectory);
        Assert.Equal("/new", From(("HF_HOME", "/hf"), ("HUGGINGFACE_HUB_CACHE", "/old"), ("HF_HUB_CACHE", "/new")).CacheDirectory);
        Assert.Equal("/home/u/models", From(("HF_HUB_CACHE", "~/models")).CacheDirectory);
        Assert.Equal("/home/u/.cache/huggingface/hub", From(("HF_HOME", "")).CacheDirectory);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("", false)]
    public void Offline_mode_takes_the_same_true_values(string value, bool offline)
    {
        Assert.Equal(offline, From(("HF_HUB_OFFLINE", value)).Offline);
        Assert.Equal(offline, From(("TRANSFORMERS_OFFLINE", value)).Offline);
    }

    [Fact]
    public void The_endpoint_defaults_to_the_hub_and_loses_a_trailing_slash()
    {
        Assert.Equal("https://huggingface.co", From().Endpoint);
        Assert.Equal("http://127.0.0.1:8080/mirror", From(("HF_ENDPOINT", "http://127.0.0.1:8080/mirror/")).Endpoint);
    }

    [Fact]
    public void The_token_comes_from_HF_TOKEN_else_the_login_token_file()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp["token"], "hf_from_file\n");
        Assert.Equal("hf_from_file", From(("HF_HOME", temp.Path)).Token);
        Assert.Equal("hf_env", From(("HF_HOME", temp.Path), ("HF_TOKEN", " hf_env ")).Token);
        Assert.Equal("hf_legacy", From(("HF_HOME", temp.Path), ("HUGGING_FACE_HUB_TOKEN", "hf_legacy")).Token);
        Assert.Equal("hf_from_file", From(("HF_TOKEN_PATH", temp["token"])).Token);
        Assert.Null(From(("HF_HOME", temp["absent"])).Token);
    }

    [Fact]
    public void The_download_timeout_is_read_in_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), From().ReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), From(("HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).ReadTimeout);
    }
}
