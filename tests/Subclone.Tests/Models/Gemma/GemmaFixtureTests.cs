using Subclone.Checkpoints;
using Subclone.Inference;
using Subclone.Models.Families;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Gemma;

/// <summary>The Gemma 2 and Gemma 3 fixtures reproduce the logits of an independent implementation of HF's modeling code.</summary>
public class GemmaFixtureTests
{
    public static TheoryData<string> Fixtures => new() { "gemma2-tiny", "gemma3-tiny" };

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Logits_match_the_reference(string fixture)
    {
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        Assert.IsType<Gemma2Model>(loaded.Model);
        using var _ = no_grad();
        using var ids = tensor(FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        using var logits = loaded.Model.Forward(ids).squeeze(0);
        using var expected = FixtureLogitsTests.ExpectedLogits(fixture);

        Assert.Equal(expected.shape, logits.shape);
        double maxDiff = (logits - expected).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"{fixture}: max abs logit difference {maxDiff}");
    }

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Greedy_generation_is_deterministic(string fixture)
    {
        var model = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model;
        int[] prompt = FixtureLogitsTests.InputIds(fixture).Take(5).Select(i => (int)i).ToArray();
        var first = TextGenerator.Generate(model, prompt, 12, new SamplingOptions(Greedy: true));
        var second = TextGenerator.Generate(HfCheckpoint.Load(SharedData.Fixture(fixture)).Model, prompt, 12, new SamplingOptions(Greedy: true));

        Assert.Equal(prompt.Length + 12, first.Count);
        Assert.Equal(first, second);
    }
}
