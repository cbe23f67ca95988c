using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;
using Subclone.Models.Families;

namespace Subclone.Tests.Cloning;

/// <summary>ViT through the shared importance → plan → slice path.</summary>
public class VitCloningTests
{
    static List<CalibrationBatch> RandomImages(ModelConfig c, int batches, int batch, ulong seed)
    {
        var generator = new Generator(seed);
        return Enumerable.Range(0, batches)
            .Select(_ => new CalibrationBatch(randn([batch, c.Channels, c.ImageSize, c.ImageSize], generator: generator)))
            .ToList();
    }

    [Fact]
    public void Vit_block_names_carry_their_layer_index()
    {
        Assert.Equal(1, ParameterLayout.LayerOf("vit.encoder.layer.1.attention.attention.query.weight"));
        Assert.Null(ParameterLayout.LayerOf("vit.layernorm.weight"));
        Assert.Null(ParameterLayout.LayerOf("vit.embeddings.position_embeddings"));
        Assert.Equal("vit.encoder.layer.7.output.dense.bias", ParameterLayout.WithLayer("vit.encoder.layer.0.output.dense.bias", 7));
    }

    [Fact]
    public void Vit_every_parameter_has_a_layout_with_one_role_per_axis()
    {
        var model = TinyModels.Vit();
        foreach (var (name, tensor) in model.state_dict())
            Assert.Equal(tensor.dim(), ParameterLayout.For(model.Config, name).Axes.Length);
        Assert.Equal([AxisRole.Residual, AxisRole.Whole, AxisRole.Whole, AxisRole.Whole],
            ParameterLayout.For(model.Config, "vit.embeddings.patch_embeddings.projection.weight").Axes);
        Assert.Equal(1, ParameterLayout.For(model.Config, "classifier.weight").InputAxis);
    }

    static CloneMap HalfMap(ModelConfig c) => new()
    {
        ResidualDims = [0, 1, 2, 3, 8, 9, 10, 11],  // heads 0 and 2 of 4 dims each
        LayerMap = [1],
        Heads = [[0, 2]], KvHeads = [[0, 2]],
        FfnNeurons = [Enumerable.Range(0, 12).Select(i => 2 * i).ToArray()],
        Scale = false,
    };

    [Fact]
    public void Vit_embeddings_and_patch_convolution_are_cut_along_their_residual_axis()
    {
        var parent = (VitModel)TinyModels.Vit();
        var map = HalfMap(parent.Config);
        var child = (VitModel)Subcloner.Apply(parent, map);
        using var dims = tensor(map.ResidualDims.Select(d => (long)d).ToArray());

        Assert.Equal([1L, 1, 8], child.vit.embeddings.cls_token.shape);
        Assert.True(ModelAssert.BitEqual(parent.vit.embeddings.cls_token.index_select(2, dims), child.vit.embeddings.cls_token));
        Assert.Equal([1L, 17, 8], child.vit.embeddings.position_embeddings.shape);
        Assert.True(ModelAssert.BitEqual(parent.vit.embeddings.position_embeddings.index_select(2, dims), child.vit.embeddings.position_embeddings));
        var conv = parent.vit.embeddings.patch_embeddings.projection.weight;
        Assert.Equal([8L, 1, 2, 2], child.vit.embeddings.patch_embeddings.projection.weight.shape);
        Assert.True(ModelAssert.BitEqual(conv.index_select(0, dims), child.vit.embeddings.patch_embeddings.projection.weight));
        Assert.True(ModelAssert.BitEqual(parent.classifier.weight.index_select(1, dims), child.classifier.weight));
        // Child block 0 is parent block 1.
        Assert.True(ModelAssert.BitEqual(parent.vit.encoder.layer[1].layernorm_after.bias.index_select(0, dims), child.vit.encoder.layer[0].layernorm_after.bias));
    }

    [Fact]
    public void Vit_scaling_touches_exactly_the_input_shrunk_linear_weights()
    {
        var parent = TinyModels.Vit();
        var map = HalfMap(parent.Config);
        var plain = Subcloner.Apply(parent, map).state_dict();
        var scaled = Subcloner.Apply(parent, map with { Scale = true }).state_dict();
        var expected = new Dictionary<string, double>
        {
            ["attention.attention.query.weight"] = Math.Sqrt(2), ["attention.attention.key.weight"] = Math.Sqrt(2),
            ["attention.attention.value.weight"] = Math.Sqrt(2), ["attention.output.dense.weight"] = Math.Sqrt(2),
            ["intermediate.dense.weight"] = Math.Sqrt(2), ["layer.0.output.dense.weight"] = Math.Sqrt(2),
            ["classifier.weight"] = Math.Sqrt(2),  // residual 16 → 8; every other shrink here is also a half
        };
        int scaledCount = 0;
        foreach (var (name, value) in plain)
        {
            double factor = expected.FirstOrDefault(e => name.EndsWith(e.Key)).Value;
            if (factor == 0) Assert.True(ModelAssert.BitEqual(value, scaled[name]), $"{name} must not be scaled");
            else { Assert.True((value * factor).allclose(scaled[name], rtol: 1e-6, atol: 0), $"{name} must be scaled by {factor}"); scaledCount++; }
        }
        Assert.Equal(7, scaledCount);
    }

    [Fact]
    public void Vit_importance_hooks_see_a_silenced_head_as_unimportant()
    {
        var model = (VitModel)TinyModels.Vit();
        using (no_grad())
        {
            var value = model.vit.encoder.layer[1].attention.attention.value;
            value.weight[4..8].zero_();  // head 1 of 4 dims: its value rows
            value.bias![4..8].zero_();
        }
        var scores = Calibrator.Measure(model, RandomImages(model.Config, 2, 3, 5), "random images", 5);

        Assert.Equal(0, scores.Heads[1][1]);
        Assert.All(new[] { 0, 2, 3 }, h => Assert.True(scores.Heads[1][h] > 0));
        Assert.True(scores.Heads[0][1] > 0, "layer 0's head 1 is untouched");
        Assert.Equal(2 * 3 * 17, scores.CalibrationTokens);
    }

    [SharedFact]
    public void Vit_half_width_child_from_image_importance_saves_loads_and_runs()
    {
        var parent = HfCheckpoint.Load(SharedData.Fixture("vit-tiny")).Model;
        var c = parent.Config;
        var scores = Calibrator.Measure(parent, RandomImages(c, 2, 4, 11), "random images", 11);

        Assert.Equal(2 * 4 * (c.Patches + 1), scores.CalibrationTokens);
        Assert.Equal(2L * 4 * 17, scores.CalibrationTokens);
        Assert.All(scores.Residual.Concat(scores.Ffn).Concat(scores.Heads).SelectMany(row => row), v => Assert.True(double.IsFinite(v) && v >= 0));
        Assert.All(scores.BlockInfluence, v => Assert.InRange(v, 1e-6, 2.0));
        Assert.Equal((48, 96, 4), (scores.Residual[1].Length, scores.Ffn[0].Length, scores.Heads[0].Length));

        var result = Subcloner.Clone(parent, CloneTarget.FromRatio(c, 0.5), scores, new CloneOptions());
        var child = result.Child;
        Assert.Equal((24, 2, 48, 2, 5), (child.Config.Hidden, child.Config.Heads, child.Config.Ffn, child.Config.Layers, child.Config.Labels));
        Assert.Equal(child.ParameterCount(), CloneTarget.ParameterCount(child.Config));

        using var dir = new TempDir();
        HfCheckpoint.Save(child, dir["child"], ScalarType.Float32);
        var loaded = HfCheckpoint.Load(dir["child"]).Model;
        ModelAssert.BitIdentical(child, loaded);
        Assert.Equal("class_4", loaded.Config.LabelName(4));

        using var _ = no_grad();
        using var pixels = VitFixtureTests.PixelValues();
        var logits = loaded.Forward(pixels);
        Assert.Equal([2L, 5], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
        Assert.Equal(0, (child.Forward(pixels) - logits).abs().max().item<float>());
    }
}
