using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Moe;

/// <summary>The mixture-of-experts fixtures reproduce their reference logits, in both expert layouts.</summary>
public class MoeFixtureTests
{
    public static TheoryData<string> MoeFixtures => new() { "mixtral-tiny", "mixtral-tiny-fused", "qwen3moe-tiny", "olmoe-tiny" };

    internal static double MaxLogitDiff(TransformerModel model, string fixture)
    {
        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        using var logits = model.Forward(ids).squeeze(0);
        using var expected = FixtureLogitsTests.ExpectedLogits(fixture);
        Assert.Equal(expected.shape, logits.shape);
        return (logits - expected).abs().max().item<float>();
    }

    [SharedTheory]
    [MemberData(nameof(MoeFixtures))]
    public void Logits_match_the_reference(string fixture)
    {
        var model = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        Assert.NotNull(model.Config.Moe);
        double diff = MaxLogitDiff(model, fixture);
        Assert.True(diff < 1e-4, $"{fixture}: max abs logit difference {diff}");
    }

    [SharedFact]
    public void The_fused_layout_reads_as_the_same_per_expert_parameters()
    {
        var split = HfCheckpoint.Load(SharedData.Fixture("mixtral-tiny")).Model.state_dict();
        var fused = HfCheckpoint.Load(SharedData.Fixture("mixtral-tiny-fused")).Model.state_dict();
        Assert.Equal(split.Keys.Order(), fused.Keys.Order());
        Assert.Contains("model.layers.1.block_sparse_moe.experts.3.w3.weight", fused.Keys);
        foreach (var (name, t) in split) Assert.True(t.eq(fused[name]).all().item<bool>(), name);
    }

    [SharedFact]
    public void Qwen3_moe_keeps_its_dense_middle_layer()
    {
        var names = HfCheckpoint.Load(SharedData.Fixture("qwen3moe-tiny")).Model.state_dict().Keys.ToList();
        Assert.Contains("model.layers.1.mlp.gate_proj.weight", names);
        Assert.DoesNotContain("model.layers.1.mlp.gate.weight", names);
        Assert.Contains("model.layers.2.mlp.experts.7.down_proj.weight", names);
    }

    [SharedTheory]
    [MemberData(nameof(MoeFixtures))]
    public void The_parameter_table_names_and_shapes_the_module_in_state_dict_order(string fixture)
    {
        var model = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        var table = TransformerModel.ParameterShapes(model.Config).Select(p => (p.Name, string.Join(",", p.Shape)));
        var module = model.state_dict().Select(kv => (kv.Key, string.Join(",", kv.Value.shape)));
        Assert.Equal(module, table);
        Assert.Equal(model.ParameterCount(), model.Config.Family.ParameterCount(model.Config));
    }
}
