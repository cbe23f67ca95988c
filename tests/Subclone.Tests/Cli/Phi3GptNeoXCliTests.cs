using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Inference;
using Subclone.Tests.Support;
using Subclone.Tests.Training;
using static TorchSharp.torch;

namespace Subclone.Tests.Cli;

/// <summary>Every command on the Phi-3 and GPT-NeoX fixtures: clone (in memory and streamed), generate, info, rank, init, train, eval.</summary>
public class Phi3GptNeoXCliTests
{
    public static TheoryData<string> Fixtures => new() { "phi3-tiny", "phi3-tiny-partial-rotary", "phi3-tiny-longrope", "gptneox-tiny" };

    static SortedDictionary<string, byte[]> Files(string directory) =>
        new(Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), StringComparer.Ordinal);

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void A_half_width_half_depth_child_streams_byte_identically_and_reloads(string fixture)
    {
        using var dir = new TempDir();
        string parentDir = SharedData.Fixture(fixture);
        var parent = HfCheckpoint.Load(parentDir).Model;
        string[] shape = ["--ratio", "0.5", "--layers", Math.Max(1, parent.Config.Layers / 2).ToString(), "--calib-random-ids", "4x16", "--seed", "3"];

        var inMemory = CliRunner.Run(["clone", parentDir, "--out", dir["in-memory"], .. shape]);
        Assert.True(inMemory.ExitCode == 0, inMemory.Error);
        var streamed = CliRunner.Run(["clone", parentDir, "--out", dir["streamed"], "--streaming", .. shape]);
        Assert.True(streamed.ExitCode == 0, streamed.Error);
        var expectedFiles = Files(dir["in-memory"]);
        var streamedFiles = Files(dir["streamed"]);
        Assert.Equal(expectedFiles.Keys, streamedFiles.Keys);
        foreach (var (name, bytes) in expectedFiles) Assert.True(bytes.AsSpan().SequenceEqual(streamedFiles[name]), $"{name} differs");

        // The written child is the map's cut of the parent, and has half the widths.
        var child = HfCheckpoint.Load(dir["streamed"]).Model;
        var map = CloneMap.FromJsonNode(JsonNode.Parse(File.ReadAllText(dir["streamed/clone_map.json"]))!["map"]!, "clone_map.json");
        var replayed = Subcloner.Apply(parent, map);
        Assert.Equal(0, Cloning.CloneTestKit.MaxDiff(Cloning.CloneTestKit.Logits(replayed), Cloning.CloneTestKit.Logits(child)));
        Assert.Equal((parent.Config.Hidden / 2, parent.Config.Heads / 2, parent.Config.Ffn / 2),
            (child.Config.Hidden, child.Config.Heads, child.Config.Ffn));
        Assert.Equal(parent.Config.ModelType, (string?)JsonNode.Parse(File.ReadAllText(dir["streamed/config.json"]))!["model_type"]);
    }

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Greedy_generation_is_stable_and_starts_with_the_references_argmax(string fixture)
    {
        var model = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        var prompt = Tests.Models.FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        var first = TextGenerator.Generate(model, prompt, 6, new SamplingOptions(Greedy: true));
        var second = TextGenerator.Generate(model, prompt, 6, new SamplingOptions(Greedy: true));
        Assert.Equal(first, second);
        using var expected = Tests.Models.FixtureLogitsTests.ExpectedLogits(fixture);
        Assert.Equal((int)expected[-1].argmax().item<long>(), first[prompt.Count]);
    }

    /// <summary>A copy of the fixture with a byte-level tokenizer of 128 ids (bytes 0–126 and &lt;|endoftext|&gt;).</summary>
    static string WithTokenizer(TempDir dir, string fixture)
    {
        string model = dir["model"];
        Directory.CreateDirectory(model);
        foreach (string name in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(SharedData.Fixture(fixture), name), Path.Combine(model, name));
        var vocab = new Dictionary<string, int>();
        int extra = 0;
        for (int b = 0; b < 127; b++) vocab[((char)(b is >= 0x21 and <= 0x7E ? b : 256 + extra++)).ToString()] = b;
        vocab["<|endoftext|>"] = 127;
        File.WriteAllText(Path.Combine(model, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(model, "merges.txt"), "#version: 0.2\n");
        return model;
    }

    [SharedTheory]
    [InlineData("phi3-tiny")]
    [InlineData("gptneox-tiny")]
    public void Info_rank_init_train_and_eval_work_on_the_fixture(string fixture)
    {
        using var dir = new TempDir();
        string model = WithTokenizer(dir, fixture);
        string data = TrainingTestKit.WriteStories(dir["stories.txt"], 60);
        var parent = HfCheckpoint.Load(model).Model;

        var info = CliRunner.Run("info", model, "--json");
        Assert.True(info.ExitCode == 0, info.Error);
        Assert.Equal(parent.ParameterCount(), (long)JsonNode.Parse(info.Out)!["params"]!);

        var rank = CliRunner.Run("rank", model, "--calib", data, "--calib-samples", "4", "--calib-length", "16", "--out", dir["rank/importance.json"]);
        Assert.True(rank.ExitCode == 0, rank.Error);
        var scores = JsonNode.Parse(File.ReadAllText(dir["rank/importance.json"]))!;
        Assert.Equal(parent.Config.Layers, scores["heads"]!.AsArray().Count);
        Assert.Equal(parent.Config.Heads, scores["heads"]![0]!.AsArray().Count);
        Assert.Equal(parent.Config.Ffn, scores["ffn"]![0]!.AsArray().Count);

        var init = CliRunner.Run("init", "--config", Path.Combine(model, "config.json"), "--out", dir["init"], "--seed", "2");
        Assert.True(init.ExitCode == 0, init.Error);
        var initialised = HfCheckpoint.Load(dir["init"]).Model.state_dict();
        string fused = fixture == "phi3-tiny" ? "model.layers.0.self_attn.qkv_proj.weight" : "gpt_neox.layers.0.attention.query_key_value.weight";
        double std = initialised[fused].std().item<float>();
        Assert.InRange(std, 0.015, 0.025);  // HF: N(0, initializer_range = 0.02)
        string norm = fixture == "phi3-tiny" ? "model.norm.weight" : "gpt_neox.final_layer_norm.weight";
        Assert.Equal(1, initialised[norm].min().item<float>());

        string[] small = ["--batch", "4", "--seq", "16", "--lr", "1e-2", "--eval-every", "10", "--eval-batches", "2", "--cache", dir["cache"], "--json"];
        var train = CliRunner.Run(["train", model, "--data", data, "--out", dir["run"], "--steps", "10", .. small]);
        Assert.True(train.ExitCode == 0, train.Error);
        var summary = JsonNode.Parse(train.Out)!;
        Assert.True((double)summary["val_loss"]! < (double)summary["initial_val_loss"]! - 0.5, train.Out);

        var eval = CliRunner.Run("eval", dir["run"], "--cache", dir["cache"], "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Equal((double)summary["val_loss"]!, (double)JsonNode.Parse(eval.Out)!["loss"]!, 9);
        Assert.Equal(fixture.StartsWith("phi3") ? "phi3" : "gpt_neox", (string?)JsonNode.Parse(File.ReadAllText(dir["run/config.json"]))!["model_type"]);
    }
}
