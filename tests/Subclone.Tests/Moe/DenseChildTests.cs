using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Cloning;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Moe;

/// <summary>A one-expert, top-1 child of an MoE parent is a dense model, written as the dense family.</summary>
public class DenseChildTests
{
    [SharedTheory]
    [InlineData("mixtral-tiny", "mistral", "MistralForCausalLM")]
    [InlineData("qwen3moe-tiny", "qwen3", "Qwen3ForCausalLM")]
    public void A_dense_child_loads_as_the_dense_family_and_matches_the_one_expert_moe_child_on_every_token(string fixture, string denseType, string denseClass)
    {
        using var dir = new TempDir();
        var parent = CloneTestKit.Fixture(fixture);
        var p = parent.Config;
        var scores = Calibrator.Measure(parent, CloneTestKit.RandomBatches(p), "random ids", 1);
        var target = new CloneTarget(Hidden: p.Hidden / 2, Heads: p.Heads / 2, KvHeads: p.KvHeads / 2, Experts: 1, ExpertFfn: p.Moe!.ExpertFfn / 2, Dense: true);
        var dense = Subcloner.Clone(parent, target, scores, new CloneOptions());
        Assert.Equal(denseType, dense.Map.DenseModelType);

        // The same cut kept as a mixture of experts: one expert per block, top-1 routing.
        var moeChild = Subcloner.Apply(parent, dense.Map with { DenseModelType = null });
        Assert.Equal((1, 1), (moeChild.Config.Moe!.Experts, moeChild.Config.Moe.TopK));

        HfCheckpoint.Save(dense.Child, dir["dense"], ScalarType.Float32);
        var config = JsonNode.Parse(File.ReadAllText(dir["dense/config.json"]))!;
        Assert.Equal(denseType, (string?)config["model_type"]);
        Assert.Equal(denseClass, (string?)config["architectures"]![0]);
        Assert.Null(config["num_experts_per_tok"]);
        var reloaded = HfCheckpoint.Load(dir["dense"]).Model;
        Assert.Null(reloaded.Config.Moe);
        Assert.Equal(denseType, reloaded.Config.Family.ModelTypes[0]);
        Assert.DoesNotContain(reloaded.state_dict().Keys, k => k.Contains("experts") || k.Contains(".gate.weight"));

        using var denseLogits = CloneTestKit.Logits(reloaded);
        using var moeLogits = CloneTestKit.Logits(moeChild);
        // On every token: the same prediction, and logits equal to float rounding.
        double diff = CloneTestKit.MaxDiff(denseLogits, moeLogits);
        Assert.True(diff < 1e-5, $"max logit difference {diff}");
        Assert.True(denseLogits.argmax(-1).eq(moeLogits.argmax(-1)).all().item<bool>());
        // And it is not the parent's function trivially: a different expert gives different logits.
        var other = dense.Map with
        {
            DenseModelType = null,
            Experts = dense.Map.Experts!.Select((e, l) => e.Length == 0 ? e : new[] { (e[0] + 1) % p.Moe.Experts }).ToArray(),
        };
        using var otherLogits = CloneTestKit.Logits(Subcloner.Apply(parent, other));
        Assert.True(CloneTestKit.MaxDiff(otherLogits, denseLogits) > 1e-3);
    }

    [SharedFact]
    public void Olmoe_has_no_dense_family_and_the_refusal_says_why()
    {
        var olmoe = CloneTestKit.Fixture("olmoe-tiny").Config;
        var error = Assert.Throws<UserInputException>(() => new CloneTarget(Experts: 1, Dense: true).Apply(olmoe));
        Assert.Contains("OLMo 2", error.Message);
        Assert.Contains("--keep-moe", error.Message);

        using var dir = new TempDir();
        var cli = CliRunner.Run("clone", SharedData.Fixture("olmoe-tiny"), "--out", dir["child"], "--experts", "1", "--calib-random-ids", "2x8");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("OLMo 2", cli.Error);
        Assert.False(Directory.Exists(dir["child"]));

        var kept = CliRunner.Run("clone", SharedData.Fixture("olmoe-tiny"), "--out", dir["moe"], "--experts", "1", "--keep-moe", "--calib-random-ids", "2x8");
        Assert.True(kept.ExitCode == 0, kept.Error);
        Assert.Equal(1, (int)JsonNode.Parse(File.ReadAllText(dir["moe/config.json"]))!["num_experts"]!);
    }

    [SharedFact]
    public void The_cli_writes_a_mixtral_child_with_one_expert_as_mistral()
    {
        using var dir = new TempDir();
        var cli = CliRunner.Run("clone", SharedData.Fixture("mixtral-tiny"), "--out", dir["child"], "--experts", "1", "--calib-random-ids", "2x8");
        Assert.True(cli.ExitCode == 0, cli.Error);
        var info = JsonNode.Parse(CliRunner.Run("info", dir["child"], "--json").Out)!;
        Assert.Equal("MistralForCausalLM", (string?)info["architecture"]);
        var map = JsonNode.Parse(File.ReadAllText(dir["child/clone_map.json"]))!["map"]!;
        Assert.Equal("mistral", (string?)map["dense_model_type"]);
        Assert.Equal(1, (int)map["top_k"]!);
    }
}
