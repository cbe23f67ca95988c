using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models.Families;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using Subclone.Tests.Training;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Gemma;

/// <summary>Every command on Gemma 2 and Gemma 3 models, through the CLI.</summary>
public class GemmaCliTests
{
    public static TheoryData<string> Fixtures => new() { "gemma2-tiny", "gemma3-tiny" };

    static SortedDictionary<string, byte[]> Files(string directory) =>
        new(Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), StringComparer.Ordinal);

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Half_width_half_depth_child_streams_byte_identically_and_reloads(string fixture)
    {
        using var dir = new TempDir();
        string parent = SharedData.Fixture(fixture);
        var info = CliRunner.Run("info", parent, "--json");
        Assert.True(info.ExitCode == 0, info.Error);
        var loaded = HfCheckpoint.Load(parent).Model;
        Assert.Equal(loaded.ParameterCount(), (long)JsonNode.Parse(info.Out)!["params"]!);
        Assert.Equal(loaded.ParameterCount(), Subclone.Cloning.CloneTarget.ParameterCount(loaded.Config));

        int layers = loaded.Config.Layers / 2 + loaded.Config.Layers % 2;
        string[] args = ["--ratio", "0.5", "--layers", layers.ToString(), "--calib-random-ids", "6x24", "--seed", "3"];
        var inMemory = CliRunner.Run(["clone", parent, "--out", dir["in-memory"], .. args]);
        Assert.True(inMemory.ExitCode == 0, inMemory.Error);
        var streamed = CliRunner.Run(["clone", parent, "--out", dir["streamed"], "--streaming", .. args]);
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        var expected = Files(dir["in-memory"]);
        var actual = Files(dir["streamed"]);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs");

        var child = HfCheckpoint.Load(dir["streamed"]).Model;
        Assert.Equal((loaded.Config.Hidden / 2, layers), (child.Config.Hidden, child.Config.Layers));
        Assert.Equal(layers, GemmaSettings.Of(child.Config).LayerTypes.Count);
        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        using var logits = child.Forward(ids);
        Assert.False(logits.isnan().any().item<bool>());
        var generated = CliRunner.Run("generate", dir["streamed"], "--prompt-ids", "2,5,9", "--greedy", "--max-new-tokens", "5", "--json");
        Assert.True(generated.ExitCode == 0, generated.Error);
    }

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Init_rank_train_eval_on_a_config_of_the_fixture(string fixture)
    {
        using var dir = new TempDir();
        // The fixture's shape with a byte-level vocabulary, so the test tokenizer covers every id.
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(SharedData.Fixture(fixture), "config.json")))!.AsObject();
        config["vocab_size"] = 257;
        TrainingTestKit.WriteByteTokenizer(dir["config"]);
        File.WriteAllText(dir["config/config.json"], config.ToJsonString());
        string stories = TrainingTestKit.WriteStories(dir["stories.txt"], 80);

        var init = CliRunner.Run("init", "--config", dir["config/config.json"], "--out", dir["init"], "--seed", "4");
        Assert.True(init.ExitCode == 0, init.Error);
        var initialised = HfCheckpoint.Load(dir["init"]).Model.state_dict();
        // HF zero-initialises Gemma's (1+w) norms: a unit scale.
        Assert.All(initialised.Where(kv => kv.Key.EndsWith("norm.weight")), kv => Assert.Equal(0, kv.Value.abs().max().item<float>()));
        Assert.InRange(initialised["model.layers.0.mlp.up_proj.weight"].std().item<float>(), 0.015, 0.025);
        foreach (string file in new[] { "vocab.json", "merges.txt" }) File.Copy(dir[$"config/{file}"], dir[$"init/{file}"]);

        var rank = CliRunner.Run("rank", dir["init"], "--calib", stories, "--calib-samples", "4", "--calib-length", "24", "--out", dir["rank/importance.json"]);
        Assert.True(rank.ExitCode == 0, rank.Error);
        Assert.True(File.Exists(dir["rank/importance.json"]));

        string[] small = ["--batch", "2", "--seq", "24", "--lr", "3e-3", "--eval-every", "4", "--eval-batches", "1", "--cache", dir["cache"], "--json"];
        var train = CliRunner.Run(["train", dir["init"], "--data", stories, "--out", dir["run"], "--steps", "4", .. small]);
        Assert.True(train.ExitCode == 0, train.Error);
        var summary = JsonNode.Parse(train.Out)!;
        Assert.True((double)summary["val_loss"]! < (double)summary["initial_val_loss"]!, train.Out);

        var eval = CliRunner.Run("eval", dir["run"], "--cache", dir["cache"], "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Equal((double)summary["val_loss"]!, (double)JsonNode.Parse(eval.Out)!["loss"]!, 6);
    }

    [SharedFact]
    public void A_shallower_random_init_child_has_one_attention_type_per_block()
    {
        // The random child is built from the target shape alone; its layer_types must still match its depth.
        using var dir = new TempDir();
        var result = CliRunner.Run("clone", SharedData.Fixture("gemma3-tiny"), "--out", dir["child"], "--ratio", "0.5", "--layers", "2",
            "--random-init", "--seed", "1");
        Assert.True(result.ExitCode == 0, result.Error);
        var config = JsonNode.Parse(File.ReadAllText(dir["child/config.json"]))!;
        Assert.Equal([GemmaSettings.Sliding, GemmaSettings.Sliding], config["layer_types"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(2, HfCheckpoint.Load(dir["child"]).Model.Config.Layers);
    }

    [SharedFact]
    public void Bidirectional_Gemma3_is_refused_with_exit_2_naming_the_field()
    {
        using var dir = new TempDir();
        string fixture = SharedData.Fixture("gemma3-tiny");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json")))!.AsObject();
        config["use_bidirectional_attention"] = true;
        Directory.CreateDirectory(dir["m"]);
        File.WriteAllText(dir["m/config.json"], config.ToJsonString());
        File.Copy(Path.Combine(fixture, "model.safetensors"), dir["m/model.safetensors"]);

        var result = CliRunner.Run("generate", dir["m"], "--prompt-ids", "2,3", "--greedy");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("use_bidirectional_attention", result.Error);
    }
}
