using System.Text.Json.Nodes;
using Subclone.Tests.Support;

namespace Subclone.Tests.Cli;

public class CliTests
{
    [SharedFact]
    public void Info_json_describes_a_GQA_Llama()
    {
        var result = CliRunner.Run("info", SharedData.Fixture("llama-tiny-gqa"), "--json");
        Assert.Equal(0, result.ExitCode);
        var info = JsonNode.Parse(result.Out)!;
        Assert.Equal("LlamaForCausalLM", (string?)info["architecture"]);
        Assert.Equal(4, (int)info["heads"]!);
        Assert.Equal(2, (int)info["kv_heads"]!);
        Assert.Equal(16, (int)info["head_dim"]!);
        Assert.Equal(3, (int)info["layers"]!);
        Assert.Equal(176, (int)info["ffn"]!);
        Assert.Equal("float32", (string?)info["dtype"]);
    }

    [Fact]
    public void Info_on_a_missing_model_prints_one_line_and_exits_2()
    {
        var result = CliRunner.Run("info", "/no/such/model");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.Contains("/no/such/model", result.Error);
    }

    [SharedFact]
    public void Generate_greedy_json_reproduces_run_c_on_stories260K()
    {
        var result = CliRunner.Run("generate", SharedData.Data("stories260K/stories260K.bin"), "--prompt-ids", "1,403,407,261,378",
            "--greedy", "--max-new-tokens", "10", "--json");
        Assert.Equal(0, result.ExitCode);
        var ids = JsonNode.Parse(result.Out)!["ids"]!.AsArray().Select(n => (int)n!).ToArray();
        var reference = JsonNode.Parse(File.ReadAllText(SharedData.Data("stories260K/greedy_reference.json")))!["cases"]![0]!["ids"]!
            .AsArray().Select(n => (int)n!).Take(15).ToArray();
        Assert.Equal(reference, ids);
    }

    [SharedFact]
    public void Clone_writes_an_HF_child_with_a_clone_map_and_replays_it()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["child"],
            "--hidden", "32", "--heads", "2", "--ffn", "128", "--layers", "2", "--select", "uniform");
        Assert.True(result.ExitCode == 0, result.Error);
        var info = JsonNode.Parse(CliRunner.Run("info", dir["child"], "--json").Out)!;
        Assert.Equal((32, 2, 2, 128), ((int)info["hidden"]!, (int)info["layers"]!, (int)info["heads"]!, (int)info["ffn"]!));
        var map = JsonNode.Parse(File.ReadAllText(dir["child/clone_map.json"]))!;
        Assert.Equal(64, ((string)map["parent"]!["sha256"]!).Length);
        Assert.Equal(32, map["map"]!["residual_dims"]!.AsArray().Count);

        var replay = CliRunner.Run("clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["replay"], "--map", dir["child/clone_map.json"]);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Equal(File.ReadAllBytes(dir["child/model.safetensors"]), File.ReadAllBytes(dir["replay/model.safetensors"]));
    }

    [SharedTheory]
    [InlineData("--hidden", "128")]
    [InlineData("--heads", "3")]
    [InlineData("--layers", "0")]
    [InlineData("--keep-layers", "0,9")]
    [InlineData("--select", "best")]
    [InlineData("--hidden", "lots")]
    public void Impossible_clones_exit_2_and_write_nothing(string option, string value)
    {
        using var dir = new TempDir();
        string[] select = option == "--select" ? [] : ["--select", "first"];
        var result = CliRunner.Run(["clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["child"], option, value, .. select]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("subclone: error:", result.Error);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [SharedFact]
    public void Clone_refuses_an_existing_output_without_force()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["child"]);
        File.WriteAllText(dir["child/keep.txt"], "mine");
        var result = CliRunner.Run("clone", SharedData.Fixture("gpt2-tiny"), "--out", dir["child"], "--ratio", "0.5", "--select", "first");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("already exists", result.Error);
        Assert.Equal("mine", File.ReadAllText(dir["child/keep.txt"]));
    }

    [SharedFact]
    public void Import_writes_stories260K_as_an_HF_directory_with_its_tokenizer()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("import", SharedData.Data("stories260K/stories260K.bin"), "--out", dir["hf"]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.True(File.Exists(dir["hf/tokenizer.model"]));
        var config = JsonNode.Parse(File.ReadAllText(dir["hf/config.json"]))!;
        Assert.Equal("llama", (string?)config["model_type"]);
        Assert.Equal(4, (int)config["num_key_value_heads"]!);
    }
}

public class CliDemoAndRankTests
{
    [SharedFact]
    public void Rank_without_a_usable_tokenizer_exits_2_naming_the_model()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("rank", SharedData.Fixture("gpt2-tiny"), "--calib", SharedData.Data("tinystories/cs336_tinystories_sample.txt"), "--out", dir["s.json"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("has no tokenizer", result.Error);
        Assert.False(File.Exists(dir["s.json"]));
    }

    [Fact]
    public void Demo_subclones_MiniLM_and_beats_the_baselines()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("demo", "--out", dir["demo"], "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var rows = JsonNode.Parse(result.Out)!["rows"]!.AsArray().ToDictionary(r => (string)r!["init"]!, r => (double)r!["cosine_to_parent"]!);
        Assert.Equal(1.0, rows["parent"]);
        Assert.True(rows["subclone"] > 0.3, $"subclone cosine {rows["subclone"]}");
        Assert.True(rows["subclone"] > rows["uniform"] + 0.2);
        Assert.True(rows["subclone"] > rows["random"] + 0.2);
        Assert.True(File.Exists(dir["demo/clone_map.json"]));
        Assert.Equal(192, (int)JsonNode.Parse(File.ReadAllText(dir["demo/config.json"]))!["hidden_size"]!);
    }

    [SharedFact]
    public void Rank_writes_scores_and_a_heat_map()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("rank", SharedData.Fixture("hf-tiny-random-gpt2"), "--calib", SharedData.Data("tinystories/cs336_tinystories_sample.txt"),
            "--calib-samples", "4", "--calib-length", "32", "--out", dir["scores.json"]);
        Assert.True(result.ExitCode == 0, result.Error);
        var scores = JsonNode.Parse(File.ReadAllText(dir["scores.json"]))!;
        Assert.Equal(5, scores["residual"]!.AsArray().Count);
        Assert.Equal(32, scores["residual"]![0]!.AsArray().Count);
        Assert.Equal(128, (long)scores["calibration_tokens"]!);
        byte[] png = File.ReadAllBytes(dir["scores.png"]);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }
}

public class CliImageModelTests
{
    [SharedFact]
    public void A_ViT_calibrates_on_IDX_images_and_reports_held_out_accuracy()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("clone", SharedData.Fixture("vit-tiny"), "--out", dir["child"], "--ratio", "0.5",
            "--calib", SharedData.Data("mnist/t10k-images-idx3-ubyte.gz"), "--calib-samples", "64", "--json");
        Assert.True(result.ExitCode == 0, result.Error);
        var summary = JsonNode.Parse(result.Out)!;
        Assert.InRange((double)summary["init_accuracy"]!, 0, 1);
        Assert.InRange((double)summary["parent_accuracy"]!, 0, 1);
        var map = JsonNode.Parse(File.ReadAllText(dir["child/clone_map.json"]))!;
        Assert.EndsWith("t10k-images-idx3-ubyte.gz", (string)map["calibration"]!["source"]!);
        Assert.Equal(64 * 17, (long)map["calibration"]!["tokens"]!);  // 64 images × (16 patches + CLS)
    }

    [SharedFact]
    public void A_ViT_refuses_text_calibration_with_one_line()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("clone", SharedData.Fixture("vit-tiny"), "--out", dir["child"], "--ratio", "0.5");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("image model", result.Error);
    }
}
