using System.Text.Json.Nodes;
using Subclone.Tests.Support;

namespace Subclone.Tests.Hub;

/// <summary>The subclone command given a Hub id, with Hub settings passed in rather than taken from the environment.</summary>
public sealed class HubCliTests : IDisposable
{
    readonly TempDir _temp = new();
    readonly FakeHub _hub = new();

    public HubCliTests() => _hub.Add(new FakeRepo("tiny-org/tiny-gpt2", HubTestModels.Gpt2(_temp["source"])));

    public void Dispose()
    {
        _hub.Dispose();
        _temp.Dispose();
    }

    /// <summary>Runs in-process with progress on, as on a terminal (captured stderr is not one, so it would be off).</summary>
    (int Code, string Out, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Subclone.Cli.Program.Run(args, stdout, stderr, _hub.Settings(_temp["cache"]), progress: true);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Info_on_a_hub_id_downloads_it_and_describes_it()
    {
        var (code, stdout, stderr) = Run("info", "tiny-org/tiny-gpt2", "--json");
        Assert.Equal(0, code);
        var info = JsonNode.Parse(stdout)!;
        Assert.Equal("tiny-org/tiny-gpt2", (string)info["model"]!);
        Assert.Equal(16, (int)info["hidden"]!);
        // --json is quiet: no download lines.
        Assert.Equal("", stderr);
    }

    [Fact]
    public void Without_json_a_download_lists_its_files_on_stderr()
    {
        var (code, _, stderr) = Run("info", "tiny-org/tiny-gpt2");
        Assert.Equal(0, code);
        Assert.Contains($"downloading tiny-org/tiny-gpt2 from {_hub.Hub.BaseUrl}", stderr);
        Assert.Contains("  model.safetensors (", stderr);
        Assert.Contains("  config.json (", stderr);

        // The second time it is cached: nothing to announce.
        var again = Run("info", "tiny-org/tiny-gpt2");
        Assert.Equal(0, again.Code);
        Assert.Equal("", again.Error);
    }

    [Fact]
    public void An_unknown_hub_id_is_one_line_and_exit_code_2()
    {
        var (code, stdout, stderr) = Run("info", "nobody/nothing");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("subclone: error: nobody/nothing: no such model or revision on the Hub (nor a local path)", stderr.TrimEnd());
    }
}
