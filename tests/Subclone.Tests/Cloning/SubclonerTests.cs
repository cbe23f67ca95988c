using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Cloning;

public class SubclonerTests
{
    [SharedTheory]
    [InlineData("gpt2-tiny")]
    [InlineData("llama-tiny-gqa")]
    [InlineData("llama-tiny-tied-bf16")]
    [InlineData("qwen3-tiny")]
    [InlineData("olmo2-tiny")]
    public void A_clone_to_the_parents_own_shape_reproduces_its_logits(string fixture)
    {
        var parent = CloneTestKit.Fixture(fixture);
        var result = Subcloner.Clone(parent, new CloneTarget(), CloneTestKit.Measure(parent), new CloneOptions());

        Assert.Equal(CloneMap.Identity(parent.Config).ResidualDims, result.Map.ResidualDims);
        Assert.Equal(CloneMap.Identity(parent.Config).LayerMap, result.Map.LayerMap);
        Assert.Equal(0, CloneTestKit.MaxDiff(CloneTestKit.Logits(parent), CloneTestKit.Logits(result.Child)));
    }

    [Fact]
    public void An_identity_clone_of_BERT_reproduces_its_hidden_states()
    {
        var parent = MiniLmModel.Load();
        var child = Subcloner.Apply(parent, CloneMap.Identity(parent.Config));
        using var _ = no_grad();
        var ids = randint(0, 30522, [2, 10], generator: new Generator(1));
        Assert.Equal(0, CloneTestKit.MaxDiff(parent.Forward(ids), child.Forward(ids)));
    }

    static CloneMap FixedMap(ModelConfig p) => new()
    {
        ResidualDims = [1, 4, 9, 10, 17, 20, 33, 34, 40, 41, 42, 43, 50, 51, 60, 63, 2, 3, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 18, 19, 21, 22],
        LayerMap = [0, 2],
        Heads = [[0, 3], [1, 2]],
        KvHeads = [[0, 3], [1, 2]],
        FfnNeurons = [Enumerable.Range(0, 128).Select(i => 2 * i).ToArray(), Enumerable.Range(0, 128).Select(i => 2 * i + 1).ToArray()],
        Scale = false,
    };

    /// <summary>parent[rows][:, cols] by plain loops, independent of the slicer.</summary>
    static float[,] HandSlice(Tensor parent, int[] rows, int[] cols)
    {
        var p = parent.data<float>();
        long width = parent.shape[1];
        var result = new float[rows.Length, cols.Length];
        for (int r = 0; r < rows.Length; r++)
            for (int c = 0; c < cols.Length; c++)
                result[r, c] = p[rows[r] * width + cols[c]];
        return result;
    }

    static float[,] ToArray2(Tensor t)
    {
        var data = t.data<float>().ToArray();
        var result = new float[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(data, 0, result, 0, data.Length * 4);
        return result;
    }

    [SharedFact]
    public void Without_scaling_a_fixed_map_equals_a_hand_sliced_reference()
    {
        var parent = (Gpt2Model)CloneTestKit.Fixture("gpt2-tiny");
        var map = FixedMap(parent.Config) with { ResidualDims = [.. FixedMap(parent.Config).ResidualDims.Order()] };
        var child = (Gpt2Model)Subcloner.Apply(parent, map);
        int[] dims = map.ResidualDims;

        Assert.Equal(HandSlice(parent.transformer.wte.weight, Enumerable.Range(0, 320).ToArray(), dims), ToArray2(child.transformer.wte.weight));
        // Child block 1 comes from parent block 2; c_attn is [in, out] with out = [q | k | v] of 4 heads × 16.
        int[] qkvCols = [.. new[] { 0, 1, 2 }.SelectMany(part => map.Heads[1].SelectMany(h => Enumerable.Range(part * 64 + h * 16, 16)))];
        Assert.Equal(HandSlice(parent.transformer.h[2].attn.c_attn.weight, dims, qkvCols), ToArray2(child.transformer.h[1].attn.c_attn.weight));
        int[] headRows = [.. map.Heads[1].SelectMany(h => Enumerable.Range(h * 16, 16))];
        Assert.Equal(HandSlice(parent.transformer.h[2].attn.c_proj.weight, headRows, dims), ToArray2(child.transformer.h[1].attn.c_proj.weight));
        Assert.Equal(HandSlice(parent.transformer.h[0].mlp.c_proj.weight, map.FfnNeurons[0], dims), ToArray2(child.transformer.h[0].mlp.c_proj.weight));
        var ln = parent.transformer.h[2].ln_1.weight.data<float>().ToArray();
        Assert.Equal(dims.Select(d => ln[d]).ToArray(), child.transformer.h[1].ln_1.weight.data<float>().ToArray());
    }

    [SharedFact]
    public void Scaling_multiplies_exactly_the_input_shrunk_linear_weights_by_sqrt_n_over_n_prime()
    {
        var parent = CloneTestKit.Fixture("gpt2-tiny");
        var map = FixedMap(parent.Config) with { ResidualDims = [.. FixedMap(parent.Config).ResidualDims.Order()] };
        var plain = Subcloner.Apply(parent, map).state_dict();
        var scaled = Subcloner.Apply(parent, map with { Scale = true }).state_dict();

        var expected = new Dictionary<string, double>
        {
            ["attn.c_attn.weight"] = Math.Sqrt(64.0 / 32),   // input: residual 64 → 32
            ["mlp.c_fc.weight"] = Math.Sqrt(64.0 / 32),
            ["attn.c_proj.weight"] = Math.Sqrt(64.0 / 32),   // input: 4 heads × 16 → 2 × 16
            ["mlp.c_proj.weight"] = Math.Sqrt(256.0 / 128),  // input: FFN 256 → 128
        };
        foreach (var (name, value) in plain)
        {
            double factor = expected.FirstOrDefault(e => name.EndsWith(e.Key)).Value;
            if (factor == 0) Assert.True(value.allclose(scaled[name], rtol: 0, atol: 0), $"{name} must not be scaled");
            else Assert.True((value * factor).allclose(scaled[name], rtol: 1e-6, atol: 0), $"{name} must be scaled by {factor}");
        }
    }

    [SharedFact]
    public void GQA_children_keep_whole_KV_groups_and_run()
    {
        var parent = CloneTestKit.Fixture("llama-tiny-gqa");  // 4 query heads, 2 KV heads
        var scores = CloneTestKit.Measure(parent);
        var result = Subcloner.Clone(parent, new CloneTarget(Hidden: 32, Heads: 2, KvHeads: 1, Ffn: 88, Layers: 2), scores, new CloneOptions());

        for (int l = 0; l < 2; l++)
        {
            int group = Assert.Single(result.Map.KvHeads[l]);
            Assert.Equal([2 * group, 2 * group + 1], result.Map.Heads[l]);
        }
        Assert.Equal(1, result.Child.Config.KvHeads);
        Assert.Equal(16, result.Child.Config.HeadDim);
        var logits = CloneTestKit.Logits(result.Child);
        Assert.Equal([2L, 12, 320], logits.shape);
        Assert.False(logits.isnan().any().item<bool>());

        // Fewer query heads per group: the best query heads inside the kept groups.
        var narrow = Subcloner.Clone(parent, new CloneTarget(Hidden: 64, Heads: 2, KvHeads: 2), scores, new CloneOptions());
        Assert.All(narrow.Map.Heads, heads => Assert.Equal(heads.Select(h => h / 2), new[] { 0, 1 }));
    }

    [SharedFact]
    public void Children_of_every_family_save_and_load_in_HF_format()
    {
        using var dir = new TempDir();
        foreach (var (fixture, target) in new[]
        {
            ("gpt2-tiny", new CloneTarget(Hidden: 32, Heads: 2, Ffn: 128, Layers: 2)),
            ("llama-tiny-gqa", new CloneTarget(Hidden: 48, Heads: 2, KvHeads: 1, Ffn: 100, Layers: 2)),
        })
        {
            var parent = CloneTestKit.Fixture(fixture);
            var child = Subcloner.Clone(parent, target, CloneTestKit.Measure(parent), new CloneOptions()).Child;
            HfCheckpoint.Save(child, dir[fixture], ScalarType.Float32);
            var loaded = HfCheckpoint.Load(dir[fixture]).Model;
            Assert.Equal(0, CloneTestKit.MaxDiff(CloneTestKit.Logits(child), CloneTestKit.Logits(loaded)));
        }

        var bert = MiniLmModel.Load();
        var batches = new List<CalibrationBatch> { new(randint(1000, 30000, [4, 12], generator: new Generator(2))) };
        var bertChild = Subcloner.Clone(bert, CloneTarget.FromRatio(bert.Config, 0.5, layers: 3), Calibrator.Measure(bert, batches, "ids", 0), new CloneOptions()).Child;
        HfCheckpoint.Save(bertChild, dir["bert"], ScalarType.Float32);
        var bertLoaded = HfCheckpoint.Load(dir["bert"]).Model;
        Assert.Equal((192, 6, 768, 3), (bertLoaded.Config.Hidden, bertLoaded.Config.Heads, bertLoaded.Config.Ffn, bertLoaded.Config.Layers));
        using var _ = no_grad();
        var ids = randint(1000, 30000, [1, 9], generator: new Generator(4));
        Assert.Equal(0, CloneTestKit.MaxDiff(bertChild.Forward(ids), bertLoaded.Forward(ids)));
    }

    [SharedFact]
    public void Same_inputs_and_seed_give_byte_identical_children()
    {
        using var dir = new TempDir();
        foreach (string run in new[] { "a", "b" })
        {
            var parent = CloneTestKit.Fixture("gpt2-tiny");
            var result = Subcloner.Clone(parent, new CloneTarget(Hidden: 32, Heads: 2, Ffn: 100, Layers: 2),
                CloneTestKit.Measure(parent), new CloneOptions { Selection = Selection.Importance, Seed = 5 });
            HfCheckpoint.Save(result.Child, dir[run], ScalarType.Float32);
        }
        Assert.Equal(File.ReadAllBytes(dir["a/model.safetensors"]), File.ReadAllBytes(dir["b/model.safetensors"]));
        Assert.Equal(File.ReadAllText(dir["a/config.json"]), File.ReadAllText(dir["b/config.json"]));
    }

    [SharedFact]
    public void Depth_drops_middle_blocks_by_default_and_duplicates_middle_blocks_to_deepen()
    {
        var config = CloneTestKit.Fixture("hf-tiny-random-gpt2").Config;  // 5 layers
        Assert.Equal([0, 1, 4], ClonePlanner.LayerMap(config, 3, null, new CloneOptions()));
        Assert.Equal([0, 1, 3, 4], ClonePlanner.LayerMap(config, 4, null, new CloneOptions()));
        Assert.Equal([0, 1, 2, 2, 3, 4], ClonePlanner.LayerMap(config, 6, null, new CloneOptions()));
        Assert.Equal([0, 1, 1, 2, 2, 3, 3, 4], ClonePlanner.LayerMap(config, 8, null, new CloneOptions()));
        Assert.Equal([0, 2, 4], ClonePlanner.LayerMap(config, 3, null, new CloneOptions { KeepLayers = [0, 2, 4] }));

        var deeper = Subcloner.Clone(CloneTestKit.Fixture("gpt2-tiny"), new CloneTarget(Layers: 4), null, new CloneOptions { Selection = Selection.First });
        Assert.Equal([0, 1, 1, 2], deeper.Map.LayerMap);
        Assert.Equal(4, deeper.Child.Config.Layers);
    }

    [SharedFact]
    public void Influence_depth_keeps_the_most_influential_blocks()
    {
        var parent = CloneTestKit.Fixture("hf-tiny-random-gpt2");
        var scores = CloneTestKit.Measure(parent);
        var map = ClonePlanner.LayerMap(parent.Config, 3, scores, new CloneOptions { Depth = DepthStrategy.Influence });
        var dropped = Enumerable.Range(0, 5).Except(map).ToArray();
        Assert.True(dropped.Max(d => scores.BlockInfluence[d]) <= map.Min(k => scores.BlockInfluence[k]));
    }

    [SharedFact]
    public void Baseline_selections_pick_first_evenly_spaced_or_seeded_random_indices()
    {
        var parent = CloneTestKit.Fixture("gpt2-tiny");
        var target = new CloneTarget(Hidden: 32, Heads: 2, Ffn: 64, Layers: 2);
        var first = Subcloner.Clone(parent, target, null, new CloneOptions { Selection = Selection.First }).Map;
        Assert.Equal(Enumerable.Range(0, 32), first.ResidualDims);
        var uniform = Subcloner.Clone(parent, target, null, new CloneOptions { Selection = Selection.Uniform }).Map;
        Assert.Equal(Enumerable.Range(0, 32).Select(i => 2 * i), uniform.ResidualDims);
        Assert.Equal([0, 1], uniform.LayerMap);
        Assert.Equal(Enumerable.Range(0, 64).Select(i => 4 * i), uniform.FfnNeurons[1]);
        var r1 = Subcloner.Clone(parent, target, null, new CloneOptions { Selection = Selection.Random, Seed = 3 }).Map;
        var r2 = Subcloner.Clone(parent, target, null, new CloneOptions { Selection = Selection.Random, Seed = 3 }).Map;
        var r3 = Subcloner.Clone(parent, target, null, new CloneOptions { Selection = Selection.Random, Seed = 4 }).Map;
        Assert.Equal(r1.ResidualDims, r2.ResidualDims);
        Assert.NotEqual(r1.ResidualDims, r3.ResidualDims);
    }

    [SharedTheory]
    [InlineData(128, null, null, null, null, "hidden 128 must be between 1 and the parent's 64")]
    [InlineData(null, null, 3, null, null, "needs hidden = heads × head_dim")]
    [InlineData(48, null, 2, null, null, "needs hidden = heads × head_dim: 2 × 16 = 32, not 48")]
    [InlineData(null, 0, null, null, null, "layers must be at least 1")]
    [InlineData(null, null, null, null, 1000, "ffn 1000 must be between 1 and the parent's 256")]
    public void Impossible_GPT2_targets_are_refused_with_one_clear_line(int? hidden, int? layers, int? heads, int? kv, int? ffn, string message)
    {
        var parent = CloneTestKit.Fixture("gpt2-tiny");
        var error = Assert.Throws<UserInputException>(() => new CloneTarget(hidden, layers, heads, kv, ffn).Apply(parent.Config));
        Assert.Contains(message, error.Message);
    }

    [SharedFact]
    public void Impossible_Llama_targets_and_layer_lists_are_refused()
    {
        var config = CloneTestKit.Fixture("llama-tiny-gqa").Config;
        Assert.Contains("do not divide", Assert.Throws<UserInputException>(() => new CloneTarget(Heads: 3, KvHeads: 2).Apply(config)).Message);
        Assert.Contains("query heads per KV head", Assert.Throws<UserInputException>(() => new CloneTarget(Heads: 4, KvHeads: 1).Apply(config)).Message);
        Assert.Contains("layer 7 does not exist", Assert.Throws<UserInputException>(() =>
            ClonePlanner.LayerMap(config, 2, null, new CloneOptions { KeepLayers = [0, 7] })).Message);
    }

    [SharedFact]
    public void Ratio_and_parameter_budget_targets_give_valid_shapes()
    {
        var config = CloneTestKit.Fixture("llama-tiny-gqa").Config;
        var half = CloneTarget.FromRatio(config, 0.5).Apply(config);
        Assert.Equal((32, 2, 1, 88, 3), (half.Hidden, half.Heads, half.KvHeads, half.Ffn, half.Layers));

        var gpt2 = CloneTestKit.Fixture("gpt2-tiny");
        Assert.Equal(gpt2.ParameterCount(), CloneTarget.ParameterCount(gpt2.Config));
        long budget = gpt2.ParameterCount() / 2;
        var fit = CloneTarget.FromParameterBudget(gpt2.Config, budget).Apply(gpt2.Config);
        Assert.True(CloneTarget.ParameterCount(fit) <= budget);
        Assert.Equal(fit.Heads * 16, fit.Hidden);
        Assert.Equal(40_000_000, CloneTarget.ParseCount("40M"));
    }
}
