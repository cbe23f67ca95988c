using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>Phi-3 and GPT-NeoX fixtures reproduce the logits an independent implementation of HF's modeling code computed.</summary>
public class Phi3GptNeoXFixtureTests
{
    public static TheoryData<string> Fixtures => new() { "phi3-tiny", "phi3-tiny-partial-rotary", "gptneox-tiny" };

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Logits_match_the_reference(string fixture)
    {
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        using var _ = no_grad();
        using var ids = tensor(Tests.Models.FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        using var logits = loaded.Model.Forward(ids).squeeze(0);
        using var expected = Tests.Models.FixtureLogitsTests.ExpectedLogits(fixture);

        Assert.Equal(expected.shape, logits.shape);
        double maxDiff = (logits - expected).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"{fixture}: max abs logit difference {maxDiff}");
    }
}
