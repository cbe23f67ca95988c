using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models.Families;

/// <summary>Phi-3 and GPT-NeoX fixtures reproduce the logits an independent implementation of HF's modeling code computed.</summary>
public class Phi3GptNeoXFixtureTests
{
    public static TheoryData<string> Fixtures => new() { "phi3-tiny", "phi3-tiny-partial-rotary", "phi3-tiny-longrope", "gptneox-tiny" };

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

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void Block_by_block_from_the_files_matches_the_whole_model(string fixture)
    {
        // What streaming runs: each block built alone and loaded from the checkpoint by its prefix.
        string dir = SharedData.Fixture(fixture);
        var whole = HfCheckpoint.Load(dir).Model;
        using var reader = CheckpointReader.Open(dir);
        var blockwise = BlockwiseForward.For(reader.Config);
        using var _ = no_grad();
        using var ids = tensor(Tests.Models.FixtureLogitsTests.InputIds(fixture)).unsqueeze(0);
        var last = new LastBlockOutput();
        whole.Forward(ids, probe: last);

        var (embedding, embeddingPrefix) = blockwise.CreateEmbedding();
        reader.Load(embedding, embeddingPrefix);
        var hidden = blockwise.Embed(embedding, ids);
        for (int layer = 0; layer < reader.Config.Layers; layer++)
        {
            var (block, prefix) = blockwise.CreateBlock(layer);
            reader.Load(block, prefix);
            hidden = blockwise.RunBlock(block, hidden, null, null);
        }
        Assert.Equal(0, (hidden - last.Output!).abs().max().item<float>());
    }

    sealed class LastBlockOutput : ActivationProbe
    {
        public Tensor? Output;
        public override void OnBlock(int layer, Tensor input, Tensor output) => Output = output.clone().DetachFromDisposeScope();
    }
}
