using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Streaming;

/// <summary>subclone clone --streaming: the same child directory as the in-memory path, for every way of choosing the cut.</summary>
public class StreamingCliTests
{
    static SortedDictionary<string, byte[]> Files(string directory) =>
        new(Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), StringComparer.Ordinal);

    static void AssertSameFiles(string expected, string actual)
    {
        var e = Files(expected);
        var a = Files(actual);
        Assert.Equal(e.Keys, a.Keys);
        foreach (var (name, bytes) in e) Assert.True(bytes.AsSpan().SequenceEqual(a[name]), $"{name} differs");
    }

    /// <summary>Runs clone in memory and streamed with the same arguments; returns both results.</summary>
    static (CliRunner.Result InMemory, CliRunner.Result Streamed) Both(TempDir dir, string parent, params string[] args)
    {
        var inMemory = CliRunner.Run(["clone", parent, "--out", dir["in-memory"], .. args]);
        Assert.True(inMemory.ExitCode == 0, inMemory.Error);
        var streamed = CliRunner.Run(["clone", parent, "--out", dir["streamed"], "--streaming", .. args]);
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        AssertSameFiles(dir["in-memory"], dir["streamed"]);
        return (inMemory, streamed);
    }

    [SharedFact]
    public void GPT2_by_importance_on_random_ids()
    {
        using var dir = new TempDir();
        Both(dir, SharedData.Fixture("gpt2-tiny"), "--hidden", "32", "--heads", "2", "--layers", "2", "--ffn", "128", "--calib-random-ids", "8x16", "--seed", "2");
        Assert.Equal("random-ids:8x16", (string?)JsonNode.Parse(File.ReadAllText(dir["streamed/clone_map.json"]))!["calibration"]!["source"]);
    }

    [SharedFact]
    public void Llama_GQA_by_influence_depth_in_bf16_shards()
    {
        using var dir = new TempDir();
        Both(dir, SharedData.Fixture("llama-tiny-gqa"), "--ratio", "0.5", "--layers", "2", "--depth", "influence", "--calib-random-ids", "6x20",
            "--dtype", "bf16", "--shard-size", "8KB");
        Assert.True(File.Exists(Path.Combine(dir["streamed"], HfCheckpoint.IndexFile)));
        Assert.Equal(ScalarType.BFloat16, HfCheckpoint.Load(dir["streamed"]).StoredDtype);
    }

    [Fact]
    public void BERT_built_here_with_random_ids()
    {
        using var dir = new TempDir();
        manual_seed(4);
        var bert = new BertModel(ModelConfig.Parse(new JsonObject
        {
            ["model_type"] = "bert", ["hidden_size"] = 32, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 3,
            ["intermediate_size"] = 64, ["vocab_size"] = 60, ["max_position_embeddings"] = 24,
        }, "bert config"));
        HfCheckpoint.Save(bert, dir["parent"], ScalarType.Float32);
        Both(dir, dir["parent"], "--ratio", "0.5", "--layers", "2", "--calib-random-ids", "5x10");
        Assert.Contains(HfCheckpoint.Load(dir["streamed"]).Model.state_dict().Keys, k => k.StartsWith("pooler."));
    }

    [SharedFact]
    public void Map_replays_and_random_init_baselines_match_too()
    {
        using var dir = new TempDir();
        string parent = SharedData.Fixture("llama-tiny-gqa");
        Assert.Equal(0, CliRunner.Run("clone", parent, "--out", dir["first"], "--ratio", "0.5", "--select", "random", "--seed", "8").ExitCode);
        Both(dir, parent, "--map", dir["first/clone_map.json"]);

        using var dir2 = new TempDir();
        Both(dir2, parent, "--ratio", "0.5", "--random-init", "--seed", "3");
    }

    [SharedFact]
    public void Streaming_json_reports_what_was_skipped()
    {
        using var dir = new TempDir();
        var (inMemory, streamed) = Both(dir, SharedData.Fixture("gpt2-tiny"), "--ratio", "0.5", "--calib-random-ids", "4x16", "--json");
        var full = JsonNode.Parse(inMemory.Out)!;
        var stream = JsonNode.Parse(streamed.Out)!;
        Assert.NotNull(full["init_loss"]);
        Assert.Null(stream["init_loss"]);
        Assert.True((bool)stream["streaming"]!);
        Assert.Contains("skipped", (string?)stream["note"]);
        Assert.Equal(["calibration", "fingerprint", "write"], stream["phase_seconds"]!.AsObject().Select(kv => kv.Key));
        Assert.Equal((long)full["params"]!, (long)stream["params"]!);
        Assert.Equal((long)full["parent_params"]!, (long)stream["parent_params"]!);
    }

    [Fact]
    public void A_synthetic_parent_without_a_tokenizer_calibrates_on_random_ids_only()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["config.json"], TinyModels.LlamaConfig().ToJsonString());
        Assert.Equal(0, CliRunner.Run("init", "--config", dir["config.json"], "--out", dir["parent"], "--dtype", "bf16").ExitCode);

        var noText = CliRunner.Run("clone", dir["parent"], "--out", dir["child"], "--ratio", "0.5", "--streaming");
        Assert.Equal(2, noText.ExitCode);
        Assert.Contains("--calib-random-ids", noText.Error);

        var badShape = CliRunner.Run("clone", dir["parent"], "--out", dir["child"], "--ratio", "0.5", "--streaming", "--calib-random-ids", "8by4");
        Assert.Equal(2, badShape.ExitCode);
        Assert.Contains("expected N×T", badShape.Error);
        Assert.False(Directory.Exists(dir["child"]));

        var ok = CliRunner.Run("clone", dir["parent"], "--out", dir["child"], "--ratio", "0.5", "--layers", "1", "--streaming", "--calib-random-ids", "4x8");
        Assert.True(ok.ExitCode == 0, ok.Error);
        var child = HfCheckpoint.Load(dir["child"]);
        Assert.Equal((8, 1, ScalarType.BFloat16), (child.Model.Config.Hidden, child.Model.Config.Layers, child.StoredDtype));
    }

    [Fact]
    public void Streaming_needs_a_model_directory()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("clone", "minilm", "--out", dir["child"], "--ratio", "0.5", "--streaming");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--streaming reads a Hugging Face model directory", result.Error);
    }
}
