using Subclone.Data;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Cloning;

public class ImportanceTests
{
    [SharedFact]
    public void A_residual_dim_with_huge_activations_ranks_first()
    {
        var model = (Gpt2Model)CloneTestKit.Fixture("gpt2-tiny");
        using (no_grad()) model.transformer.wte.weight[.., 37].add_(50f);  // every token writes 50 into dim 37

        var scores = CloneTestKit.Measure(model);

        var global = scores.ResidualGlobal;
        Assert.Equal(37, Array.IndexOf(global, global.Max()));
        Assert.All(scores.Residual, layer => Assert.Equal(37, Array.IndexOf(layer, layer.Max())));
        Assert.Contains(37, ClonePlanner.TopK(global, 4));
    }

    [SharedFact]
    public void A_head_whose_output_is_zeroed_ranks_last_in_its_layer_only()
    {
        var model = (Gpt2Model)CloneTestKit.Fixture("gpt2-tiny");
        const int layer = 1, head = 2, hd = 16, hidden = 64;
        using (no_grad())
        {
            // c_attn's output columns are [q | k | v]; zero head 2's value columns (and bias) → its output is 0.
            var attn = model.transformer.h[layer].attn.c_attn;
            attn.weight[.., (2 * hidden + head * hd)..(2 * hidden + (head + 1) * hd)].zero_();
            attn.bias[(2 * hidden + head * hd)..(2 * hidden + (head + 1) * hd)].zero_();
        }

        var scores = CloneTestKit.Measure(model);

        Assert.Equal(0, scores.Heads[layer][head]);
        Assert.All(Enumerable.Range(0, 4).Where(h => h != head), h => Assert.True(scores.Heads[layer][h] > 0));
        Assert.DoesNotContain(head, ClonePlanner.TopK(scores.Heads[layer], 3));
        Assert.True(scores.Heads[0][head] > 0, "other layers' head 2 is untouched");
    }

    [SharedFact]
    public void FFN_neurons_are_ranked_per_layer()
    {
        var model = (Gpt2Model)CloneTestKit.Fixture("gpt2-tiny");
        using (no_grad())
        {
            // gelu_new(0) = 0: a neuron with zero input weights and bias never fires.
            model.transformer.h[0].mlp.c_fc.weight[.., 5].zero_();
            model.transformer.h[0].mlp.c_fc.bias[5].zero_();
        }

        var scores = CloneTestKit.Measure(model);
        var result = Subcloner.Clone(model, new CloneTarget(Ffn: 255), scores, new CloneOptions());

        Assert.Equal(0, scores.Ffn[0][5]);
        Assert.True(scores.Ffn[1][5] > 0);
        Assert.DoesNotContain(5, result.Map.FfnNeurons[0]);
        Assert.Contains(5, result.Map.FfnNeurons[1]);
        Assert.NotEqual(result.Map.FfnNeurons[0], result.Map.FfnNeurons[2]);
    }

    [SharedFact]
    public void Block_influence_is_a_fraction_and_statistics_ignore_padding()
    {
        var model = CloneTestKit.Fixture("llama-tiny-gqa");
        var scores = CloneTestKit.Measure(model);
        Assert.All(scores.BlockInfluence, v => Assert.InRange(v, 1e-6, 2.0));

        // Padding positions must not change the statistics: same real tokens, extra masked junk.
        var ids = randint(0, 320, [1, 8], generator: new Generator(3));
        var padded = cat([ids, full([1, 4], 5L)], 1);
        var mask = cat([ones([1, 8], ScalarType.Int64), zeros([1, 4], ScalarType.Int64)], 1);
        var plain = Calibrator.Measure(model, [new ModelBatch(ids)], "ids", 0);
        var masked = Calibrator.Measure(model, [new ModelBatch(padded, mask)], "ids", 0);
        // Causal decoders: the first 8 positions see only real tokens, so their statistics agree.
        Assert.Equal(8, masked.CalibrationTokens);
        for (int l = 0; l < 3; l++)
            for (int i = 0; i < 64; i++)
                Assert.Equal(plain.Residual[l][i], masked.Residual[l][i], 5);
    }

    [SharedFact]
    public void Scores_round_trip_through_json()
    {
        var scores = CloneTestKit.Measure(CloneTestKit.Fixture("gpt2-tiny"));
        var back = ImportanceScores.FromJson(scores.ToJson());
        Assert.Equal(scores.Residual[2], back.Residual[2]);
        Assert.Equal(scores.BlockInfluence, back.BlockInfluence);
        Assert.Equal(scores.CalibrationTokens, back.CalibrationTokens);
    }
}
