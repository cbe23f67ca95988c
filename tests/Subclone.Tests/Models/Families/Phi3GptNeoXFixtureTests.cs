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

    [SharedFact]
    public void Pythias_legacy_buffers_are_read_past_and_not_written()
    {
        // Pythia's safetensors carry the causal-mask buffers (bool [1, 1, P, P] and a scalar) and old ones inv_freq.
        using var temp = new TempDir();
        string source = RawSafeTensors.CopyDirectory(SharedData.Fixture("gptneox-tiny"), temp["source"]);
        string weights = Path.Combine(source, HfCheckpoint.SingleFile);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafeTensorsFile.Open(weights))
            foreach (var name in file.Names) tensors[name] = file.ReadRaw(name);
        tensors["gpt_neox.layers.1.attention.bias"] = ones(1, 1, 128, 128).tril().to(ScalarType.Bool);
        tensors["gpt_neox.layers.1.attention.masked_bias"] = tensor(-1e9f);
        tensors["gpt_neox.layers.1.attention.rotary_emb.inv_freq"] = ones(2);
        SafeTensorsFile.Write(weights, tensors);

        var loaded = HfCheckpoint.Load(source);
        ModelAssert.BitIdentical(HfCheckpoint.Load(SharedData.Fixture("gptneox-tiny")).Model, loaded.Model);
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype);
        var keys = RawSafeTensors.ReadHeaderJson(Path.Combine(temp["saved"], HfCheckpoint.SingleFile)).Select(kv => kv.Key).ToList();
        Assert.DoesNotContain(keys, k => k.Contains(".attention.bias") || k.Contains("masked_bias") || k.Contains("inv_freq"));
        Assert.Contains("gpt_neox.layers.1.attention.query_key_value.bias", keys);
    }

    sealed class LastBlockOutput : ActivationProbe
    {
        public Tensor? Output;
        public override void OnBlock(int layer, Tensor input, Tensor output) => Output = output.clone().DetachFromDisposeScope();
    }
}
