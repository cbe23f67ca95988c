using Subclone.Data;
using System.Text.Json;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Cloning;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Moe;

/// <summary>Cutting experts: identity clones, half-size children written in memory and streamed, expert statistics.</summary>
public class MoeCloningTests
{
    public static TheoryData<string> Parents => new() { "mixtral-tiny", "mixtral-tiny-fused", "qwen3moe-tiny", "olmoe-tiny" };

    static List<ModelBatch> Batches(ModelConfig c) => CloneTestKit.RandomBatches(c, batches: 2, batch: 3, seq: 12, seed: 5);

    static SortedDictionary<string, byte[]> Files(string directory) =>
        new(Directory.GetFiles(directory).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes), StringComparer.Ordinal);

    [SharedTheory]
    [MemberData(nameof(Parents))]
    public void An_identity_clone_reproduces_the_fixture_logits_exactly(string fixture)
    {
        var parent = CloneTestKit.Fixture(fixture);
        var child = Subcloner.Apply(parent, CloneMap.Identity(parent.Config));
        Assert.Equal(parent.Config.Moe, child.Config.Moe);
        ModelAssert.BitIdentical(parent, child);
        using var _ = no_grad();
        using var ids = tensor(Models.FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        Assert.True(parent.Forward(ids).eq(child.Forward(ids)).all().item<bool>(), "identical logits");
    }

    [SharedTheory]
    [MemberData(nameof(Parents))]
    public void Streamed_calibration_gives_the_in_memory_expert_statistics(string fixture)
    {
        var model = CloneTestKit.Fixture(fixture);
        var batches = Batches(model.Config);
        var expected = Calibrator.Measure(model, batches, "random ids", 5);
        using var reader = CheckpointReader.Open(SharedData.Fixture(fixture));
        var actual = StreamingCloner.Measure(reader, batches, "random ids", 5);
        Assert.Equal(expected.ToJson(), actual.ToJson());

        var moe = model.Config.Moe!;
        for (int l = 0; l < model.Config.Layers; l++)
        {
            if (!moe.IsSparse(l)) { Assert.Empty(actual.ExpertMass![l]); continue; }
            // Each token gives its top-k experts weights summing to one where they are renormalised, less otherwise.
            double mass = actual.ExpertMass![l].Sum();
            if (moe.NormTopK) Assert.Equal(1.0, mass, 6); else Assert.InRange(mass, 0.01, 0.999);
            Assert.All(actual.ExpertContribution![l], c => Assert.True(c > 0));
            Assert.All(actual.ExpertFfn![l], neurons => Assert.Contains(neurons, v => v > 0));
        }
    }

    [SharedFact]
    public void Each_expert_runs_only_on_the_tokens_routed_to_it()
    {
        var model = CloneTestKit.Fixture("qwen3moe-tiny");
        var counter = new RoutedTokens();
        using (no_grad()) model.ForwardHidden(Batches(model.Config)[0].Input, null, counter);
        // 3 × 12 tokens, each computed by exactly top-k = 2 experts in each of the two sparse blocks.
        Assert.Equal(new[] { 0, 2 }, counter.Tokens.Keys.Order());
        Assert.All(counter.Tokens.Values, n => Assert.Equal(36 * 2, n));
    }

    sealed class RoutedTokens : ActivationProbe
    {
        public Dictionary<int, long> Tokens { get; } = [];
        public override void OnExpertHidden(int layer, int expert, Tensor hidden, Tensor tokens) =>
            Tokens[layer] = Tokens.GetValueOrDefault(layer) + hidden.shape[0];
    }

    [SharedTheory]
    [MemberData(nameof(Parents))]
    public void The_kept_experts_are_those_with_the_most_routed_mass_in_parent_order(string fixture)
    {
        var parent = CloneTestKit.Fixture(fixture);
        var scores = Calibrator.Measure(parent, Batches(parent.Config), "random ids", 5);
        var moe = parent.Config.Moe!;
        var target = new CloneTarget(Experts: moe.Experts / 2, ExpertFfn: moe.ExpertFfn / 2);
        var map = Subcloner.Clone(parent, target, scores, new CloneOptions()).Map;
        for (int l = 0; l < map.LayerMap.Length; l++)
        {
            int source = map.LayerMap[l];
            if (!moe.IsSparse(source)) { Assert.Empty(map.Experts![l]); Assert.NotEmpty(map.FfnNeurons[l]); continue; }
            var mass = scores.ExpertMass![source];
            double weakestKept = map.Experts![l].Min(e => mass[e]);
            Assert.All(Enumerable.Range(0, moe.Experts).Except(map.Experts[l]), e => Assert.True(mass[e] <= weakestKept));
            Assert.Equal(map.Experts[l].Order(), map.Experts[l]);
            // Each kept expert keeps its own best neurons.
            for (int j = 0; j < map.Experts[l].Length; j++)
                Assert.Equal(ClonePlanner.TopK(scores.ExpertFfn![source][map.Experts[l][j]], moe.ExpertFfn / 2), map.ExpertFfnNeurons![l][j]);
        }
    }

    [SharedTheory]
    [MemberData(nameof(Parents))]
    public void A_half_child_is_written_streams_byte_identically_reloads_and_runs(string fixture)
    {
        using var dir = new TempDir();
        string parentDir = SharedData.Fixture(fixture);
        var parent = ModelSource.Load(parentDir);
        var p = parent.Model.Config;
        var moe = p.Moe!;
        // Half the experts with top-k kept, half width (residual, heads, expert and dense FFN), half depth.
        var target = new CloneTarget(Hidden: p.Hidden / 2, Layers: (p.Layers + 1) / 2, Heads: p.Heads / 2, KvHeads: p.KvHeads / 2,
            Ffn: p.Ffn / 2, Experts: moe.Experts / 2, ExpertFfn: moe.ExpertFfn / 2);
        var options = new CloneOptions();
        var indented = new JsonSerializerOptions { WriteIndented = true };
        var batches = Batches(p);

        var scores = Calibrator.Measure(parent.Model, batches, "random ids", 3);
        var inMemory = Subcloner.Clone(parent.Model, target, scores, options);
        var report = CloneReport.Build(parent, inMemory.Child.Config, inMemory.Map, scores);
        HfCheckpoint.Save(inMemory.Child, dir["in-memory"], ScalarType.BFloat16, parentDir,
            extraFiles: [(CloneReport.FileName, report.ToJsonString(indented))]);

        using var reader = CheckpointReader.Open(parentDir);
        var streamedScores = StreamingCloner.Measure(reader, batches, "random ids", 3);
        var map = StreamingCloner.Plan(reader, target, streamedScores, options);
        var streamedReport = CloneReport.Build(parentDir, CloneReport.Fingerprint(parentDir), reader.Config, Subcloner.ChildConfig(reader.Config, map), map, streamedScores);
        StreamingCloner.Write(reader, map, dir["streamed"], ScalarType.BFloat16,
            extraFiles: [(CloneReport.FileName, streamedReport.ToJsonString(indented))]);

        var expected = Files(dir["in-memory"]);
        var actual = Files(dir["streamed"]);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (file, bytes) in expected) Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"{file} differs");

        var child = HfCheckpoint.Load(dir["streamed"]).Model;
        var c = child.Config;
        Assert.Equal((p.Hidden / 2, (p.Layers + 1) / 2, moe.Experts / 2, moe.TopK, moe.ExpertFfn / 2), (c.Hidden, c.Layers, c.Moe!.Experts, c.Moe.TopK, c.Moe.ExpertFfn));
        Assert.Equal(map.LayerMap.Select(l => moe.IsSparse(l)), Enumerable.Range(0, c.Layers).Select(c.Moe.IsSparse));
        using var logits = CloneTestKit.Logits(child);
        Assert.Equal([2L, 12, p.Vocab], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());

        // clone_map.json replays the same child without calibration.
        var replayed = Subcloner.Apply(parent.Model, CloneReport.ReadMap(Path.Combine(dir["streamed"], CloneReport.FileName)));
        ModelAssert.BitIdentical(inMemory.Child, replayed);
        Assert.Contains("subclone.clone_map/2", File.ReadAllText(Path.Combine(dir["streamed"], CloneReport.FileName)));
    }

    [SharedFact]
    public void A_child_config_keeps_each_kept_block_sparse_or_dense_as_its_parent_block()
    {
        var parent = CloneTestKit.Fixture("qwen3moe-tiny");
        var map = ClonePlanner.Plan(parent.Config, new CloneTarget(Layers: 2).Apply(parent.Config), null,
            new CloneOptions { Selection = Selection.First, KeepLayers = [1, 2] });
        var json = Subcloner.ChildConfig(parent.Config, map).ToJson(ScalarType.Float32);
        Assert.Equal("[0]", json["mlp_only_layers"]!.ToJsonString());
        Assert.Equal(1, (int)json["decoder_sparse_step"]!);
        var child = Subcloner.Apply(parent, map);
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", child.state_dict().Keys);
        Assert.Contains("model.layers.1.mlp.experts.7.up_proj.weight", child.state_dict().Keys);
    }

    [SharedFact]
    public void Top_k_above_the_kept_experts_and_expert_cuts_of_dense_parents_are_refused()
    {
        var mixtral = CloneTestKit.Fixture("mixtral-tiny").Config;
        Assert.Contains("top-k 3", Assert.Throws<UserInputException>(() => new CloneTarget(Experts: 2, TopK: 3).Apply(mixtral)).Message);
        Assert.Contains("experts 5", Assert.Throws<UserInputException>(() => new CloneTarget(Experts: 5).Apply(mixtral)).Message);
        var llama = CloneTestKit.Fixture("llama-tiny-gqa").Config;
        Assert.Contains("no experts", Assert.Throws<UserInputException>(() => new CloneTarget(Experts: 2).Apply(llama)).Message);
    }
}
