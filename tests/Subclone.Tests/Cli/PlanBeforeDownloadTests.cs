using System.Text.Json.Nodes;
using Subclone.Tests.Hub;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli;

/// <summary>Sizing a model, and a child of it, from config.json alone: exact counts, nothing written, no weights fetched.</summary>
public sealed class PlanBeforeDownloadTests : IDisposable
{
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    static JsonNode Json(CliRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonNode.Parse(result.Out)!;
    }

    /// <summary>The published totals in ../shared/README.md for the real Hub configs in ../shared/configs.</summary>
    [SharedTheory]
    [InlineData("HuggingFaceTB--SmolLM2-135M.json", 134_515_008L)]
    [InlineData("Qwen--Qwen3-0.6B.json", 596_049_920L)]
    [InlineData("Qwen--Qwen3-8B.json", 8_190_735_360L)]
    [InlineData("meta-llama--Llama-3.2-1B.json", 1_235_814_400L)]
    [InlineData("meta-llama--Llama-3.1-8B.json", 8_030_261_248L)]
    public void Info_on_a_real_config_gives_its_published_parameter_count(string file, long published)
    {
        var info = Json(CliRunner.Run("info", Path.Combine(SharedData.Root, "configs", file), "--json"));
        Assert.Equal(published, (long)info["params"]!);
        Assert.Equal("bfloat16", (string?)info["dtype"]);
    }

    [SharedTheory]
    [InlineData("qwen3-tiny")]
    [InlineData("olmo2-tiny")]
    [InlineData("gpt2-tiny")]
    public void Info_on_the_bare_config_agrees_with_info_on_the_checkpoint(string fixture)
    {
        var full = Json(CliRunner.Run("info", SharedData.Fixture(fixture), "--json"));
        var bare = Json(CliRunner.Run("info", Path.Combine(SharedData.Fixture(fixture), "config.json"), "--json"));
        var configOnly = Json(CliRunner.Run("info", SharedData.Fixture(fixture), "--config-only", "--json"));
        foreach (var key in new[] { "architecture", "hidden", "layers", "heads", "kv_heads", "head_dim", "ffn", "vocab", "params" })
        {
            Assert.Equal(full[key]!.ToJsonString(), bare[key]!.ToJsonString());
            Assert.Equal(full[key]!.ToJsonString(), configOnly[key]!.ToJsonString());
        }
        // The dtype is the config's torch_dtype; a config without one (gpt2-tiny) says nothing rather than guess.
        var declared = JsonNode.Parse(File.ReadAllText(Path.Combine(SharedData.Fixture(fixture), "config.json")))!["torch_dtype"];
        Assert.Equal(declared is null ? null : full["dtype"]!.ToJsonString(), bare["dtype"]?.ToJsonString());
    }

    [SharedFact]
    public void A_dry_run_reports_the_child_a_real_clone_writes_and_writes_nothing()
    {
        string parent = SharedData.Fixture("qwen3-tiny");
        string[] shape = ["--hidden", "16", "--layers", "2", "--heads", "2", "--kv-heads", "1", "--ffn", "32", "--calib-random-ids", "2x8"];
        var plan = Json(CliRunner.Run(["clone", parent, "--out", _temp["planned"], "--dry-run", "--json", .. shape]));
        Assert.False(Directory.Exists(_temp["planned"]));
        Assert.Equal([0, 2], plan["kept_layers"]!.AsArray().Select(l => (int)l!));

        Assert.Equal(0, CliRunner.Run(["clone", parent, "--out", _temp["child"], .. shape]).ExitCode);
        var child = Json(CliRunner.Run("info", _temp["child"], "--json"));
        foreach (var key in new[] { "hidden", "layers", "heads", "kv_heads", "head_dim", "ffn", "params" })
            Assert.Equal(child[key]!.ToJsonString(), plan["child"]![key]!.ToJsonString());
        Assert.Equal(41_280L, (long)plan["parent"]!["params"]!);
    }

    [Fact]
    public void A_dry_run_needs_no_out_and_a_real_clone_without_out_is_refused_with_exit_2()
    {
        string config = _temp["config.json"];
        File.WriteAllText(config, TinyModels.LlamaConfig().ToJsonString());
        var plan = CliRunner.Run("clone", config, "--ratio", "0.5", "--dry-run", "--json");
        Assert.True(plan.ExitCode == 0, plan.Error);
        Assert.True((long)Json(plan)["child"]!["params"]! > 0);

        var result = CliRunner.Run("clone", config, "--ratio", "0.5");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--out", result.Error);
    }

    [Fact]
    public void A_dry_run_on_a_config_refuses_an_impossible_shape_with_exit_2()
    {
        string config = _temp["config.json"];
        File.WriteAllText(config, TinyModels.LlamaConfig().ToJsonString());
        var result = CliRunner.Run("clone", config, "--out", _temp["child"], "--heads", "3", "--dry-run");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("3 query heads per KV head exceeds", result.Error);
        Assert.False(Directory.Exists(_temp["child"]));
    }

    [Fact]
    public void Info_config_only_on_a_hub_id_downloads_config_json_and_no_weights()
    {
        using var hub = new FakeHub();
        hub.Add(new FakeRepo("tiny-org/tiny-gpt2", HubTestModels.Gpt2(_temp["source"])));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Subclone.Cli.Program.Run(["info", "tiny-org/tiny-gpt2", "--config-only", "--json"], stdout, stderr, hub.Settings(_temp["cache"]));
        Assert.True(code == 0, stderr.ToString());
        var info = JsonNode.Parse(stdout.ToString())!;
        var expected = Json(CliRunner.Run("info", _temp["source"], "--json"));
        Assert.Equal((long)expected["params"]!, (long)info["params"]!);
        Assert.DoesNotContain(hub.AllRequests, r => r.Target.Contains(".safetensors", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_temp["cache"], "*.safetensors", SearchOption.AllDirectories));
    }
}
