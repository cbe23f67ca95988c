using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Inference;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>Qwen3 and OLMo 2 beyond their logits: greedy decoding follows the reference, and a refused field stops the CLI.</summary>
public sealed class NewFamilyFixtureTests : IDisposable
{
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The first greedy token is the reference logits' argmax at the last prompt position, and decoding is stable.</summary>
    [SharedTheory]
    [InlineData("qwen3-tiny")]
    [InlineData("olmo2-tiny")]
    public void Greedy_generation_starts_with_the_references_argmax_and_repeats_exactly(string fixture)
    {
        var model = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        using var expected = FixtureLogitsTests.ExpectedLogits(fixture);
        int argmax = (int)expected[ids.Count - 1].argmax().item<long>();

        var first = TextGenerator.Generate(model, ids, 6, new SamplingOptions(Greedy: true));
        var second = TextGenerator.Generate(model, ids, 6, new SamplingOptions(Greedy: true));
        Assert.Equal(argmax, first[ids.Count]);
        Assert.Equal(first, second);
    }

    [SharedFact]
    public void Cloning_a_parent_with_an_unimplemented_forward_field_exits_2_and_writes_nothing()
    {
        string parent = _temp["parent"];
        Directory.CreateDirectory(parent);
        foreach (var file in Directory.GetFiles(SharedData.Fixture("olmo2-tiny")))
            File.Copy(file, Path.Combine(parent, Path.GetFileName(file)));
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(parent, "config.json")))!;
        config["attn_logit_softcapping"] = 50.0;
        File.WriteAllText(Path.Combine(parent, "config.json"), config.ToJsonString());

        var result = CliRunner.Run("clone", parent, "--out", _temp["child"], "--ratio", "0.5", "--calib-random-ids", "2x8");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("field 'attn_logit_softcapping'", result.Error);
        Assert.False(Directory.Exists(_temp["child"]));
    }
}
