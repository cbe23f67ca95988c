using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Data;
using Subclone.Models;
using Subclone.Tests.Cloning;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Calibration;

/// <summary>
/// In-memory calibration runs one block at a time through the model's own modules; these tests hold it to the
/// whole-model forward it replaced (the scores to the last bit, so the same children), and the probe's chunked
/// float64 sums to a plain float64 reduction.
/// </summary>
public class BlockwiseCalibrationTests
{
    static TransformerModel Parent(string name)
    {
        if (name != "bert") return CloneTestKit.Fixture(name);
        manual_seed(11);
        return TransformerModel.Create(ModelConfig.Parse(new JsonObject
        {
            ["model_type"] = "bert", ["hidden_size"] = 32, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 3,
            ["intermediate_size"] = 64, ["vocab_size"] = 60, ["max_position_embeddings"] = 24,
        }, "bert config"));
    }

    /// <summary>What calibration computed before it ran block by block: the whole forward, the probe on its hooks.</summary>
    static ImportanceScores WholeForward(TransformerModel model, IReadOnlyList<ModelBatch> batches)
    {
        model.eval();
        var probe = new ImportanceProbe(model.Config);
        using var _ = no_grad();
        foreach (var batch in batches)
        {
            using var scope = NewDisposeScope();
            probe.TokenMask = batch.AttentionMask;
            model.ForwardHidden(batch.Input, batch.AttentionMask, probe).Dispose();
        }
        probe.TokenMask = null;
        return probe.Result(probe.TokensSeen, "random ids", 5);
    }

    static List<ModelBatch> Batches(ModelConfig config)
    {
        var batches = CloneTestKit.RandomBatches(config, batches: 3, batch: 4, seq: 12, seed: 5);
        if (config.IsDecoder) return batches;
        var mask = ones(4, 12, dtype: ScalarType.Int64);
        mask[1, TensorIndex.Slice(7)] = 0;  // padding, so BERT's mask reaches the blocks
        return batches.Select(b => new ModelBatch(b.Input * mask, mask)).ToList();
    }

    public static TheoryData<string> Families => new()
    {
        "gpt2-tiny", "llama-tiny-gqa", "qwen3-tiny", "olmo2-tiny", "phi3-tiny", "gptneox-tiny", "gemma2-tiny", "gemma3-tiny", "mixtral-tiny", "bert",
    };

    [SharedTheory]
    [MemberData(nameof(Families))]
    public void Block_by_block_in_memory_calibration_gives_the_whole_forward_scores_and_child(string name)
    {
        var model = Parent(name);
        var batches = Batches(model.Config);
        Assert.NotNull(BlockwiseForward.For(model.Config).Borrow(model));  // the blockwise path is the one measured

        var expected = WholeForward(model, batches);
        var actual = Calibrator.Measure(model, batches, "random ids", 5);

        Assert.Equal(expected.ToJson(), actual.ToJson());
        Assert.All(actual.Residual, layer => Assert.Contains(layer, v => v > 0));
        var target = CloneTarget.FromRatio(model.Config, 0.5);
        var before = Subcloner.Clone(model, target, expected, new CloneOptions()).Child.state_dict();
        var after = Subcloner.Clone(model, target, actual, new CloneOptions()).Child.state_dict();
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (key, tensor) in before) Assert.True(tensor.equal(after[key]).all().item<bool>(), $"{key} differs");
    }

    [SharedFact]
    public void Borrowed_modules_are_the_models_own_so_no_weight_is_copied()
    {
        var model = (Gpt2Model)CloneTestKit.Fixture("gpt2-tiny");
        var (embedding, blocks) = BlockwiseForward.For(model.Config).Borrow(model)!.Value;

        Assert.Same(model.transformer, embedding);
        Assert.Equal(model.transformer.h.Cast<object>(), blocks);
    }

    /// <summary>A one-layer GPT-2 shape wide enough that every activation spans several float64 chunks.</summary>
    static ModelConfig Wide() => ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "gpt2", ["n_embd"] = 1024, ["n_layer"] = 1, ["n_head"] = 16, ["vocab_size"] = 10, ["n_positions"] = 512,
    }, "wide");

    [Fact]
    public void Chunked_float64_sums_match_a_whole_tensor_float64_reduction()
    {
        var generator = new Generator(3);
        var input = randn([2, 300, 1024], generator: generator);
        var output = input + randn([2, 300, 1024], generator: generator) * 0.5;
        var ffn = randn([2, 300, 4096], generator: generator) * 3;  // 2.4M elements: ten chunks
        var heads = randn([2, 16, 300, 64], generator: generator);
        var mask = ones([2, 300], ScalarType.Int64);
        mask[1, TensorIndex.Slice(250)] = 0;
        var probe = new ImportanceProbe(Wide()) { TokenMask = mask };
        probe.OnBlock(0, input, output);
        probe.OnFfnHidden(0, ffn);
        probe.OnHeadOutputs(0, heads);
        var scores = probe.Result(550, "test", 0);

        var w = mask.to_type(ScalarType.Float64);
        double tokens = 550;
        double[] Mean(Tensor values) => (values.abs().to_type(ScalarType.Float64) * w.unsqueeze(-1)).sum([0L, 1L]).div(tokens).data<double>().ToArray();
        var influence = ((output - input).to_type(ScalarType.Float64).norm(dim: -1) / output.to_type(ScalarType.Float64).norm(dim: -1) * w).sum().item<double>() / tokens;
        var headMeans = (heads.abs().to_type(ScalarType.Float64) * w.unsqueeze(1).unsqueeze(-1)).sum([0L, 2L]).mean([-1L]).div(tokens).data<double>().ToArray();

        AssertClose(Mean(output), scores.Residual[0]);
        AssertClose(Mean(ffn), scores.Ffn[0]);
        AssertClose(headMeans, scores.Heads[0]);
        Assert.Equal(influence, scores.BlockInfluence[0], 12);
        Assert.Equal(550, probe.TokensSeen);
    }

    /// <summary>Equal to float64 rounding: only the order of the float64 additions differs.</summary>
    static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Abs(expected[i]), $"[{i}]: {expected[i]} vs {actual[i]}");
    }
}
