using System.Text.Json;
using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>Every decoder fixture reproduces the logits an independent PyTorch implementation computed.</summary>
public class FixtureLogitsTests
{
    public static TheoryData<string> DecoderFixtures => new()
    {
        "gpt2-tiny", "gpt2-tiny-prefixed", "hf-tiny-random-gpt2", "llama-tiny-gqa", "llama-tiny-tied-bf16",
        "qwen3-tiny", "olmo2-tiny",
        "llama3-tiny-rope-scaling", "qwen2-tiny-yarn", "llama-tiny-dynamic-rope",
    };

    public static long[] InputIds(string fixture) =>
        JsonSerializer.Deserialize<long[]>(File.ReadAllText(Path.Combine(SharedData.Fixture(fixture), "input_ids.json")))!;

    public static Tensor ExpectedLogits(string fixture)
    {
        using var file = SafeTensorsFile.Open(Path.Combine(SharedData.Fixture(fixture), "expected_logits.safetensors"));
        return file.ReadFloat32("logits");
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Logits_match_the_reference(string fixture)
    {
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        using var _ = no_grad();
        using var ids = tensor(InputIds(fixture)).unsqueeze(0);
        using var logits = loaded.Model.Forward(ids).squeeze(0);
        using var expected = ExpectedLogits(fixture);

        Assert.Equal(expected.shape, logits.shape);
        double maxDiff = (logits - expected).abs().max().item<float>();
        Assert.True(maxDiff < 1e-4, $"{fixture}: max abs logit difference {maxDiff}");
    }

    [SharedFact]
    public void Bf16_fixture_remembers_its_stored_dtype()
    {
        Assert.Equal(ScalarType.BFloat16, HfCheckpoint.Load(SharedData.Fixture("llama-tiny-tied-bf16")).StoredDtype);
        Assert.Equal(ScalarType.Float32, HfCheckpoint.Load(SharedData.Fixture("llama-tiny-gqa")).StoredDtype);
    }
}
