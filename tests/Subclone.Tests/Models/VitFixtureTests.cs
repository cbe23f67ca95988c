using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;
using Subclone.Models.Families;

namespace Subclone.Tests.Models;

/// <summary>The vit-tiny fixture (patch 4, 16×16 RGB, 5 labels) against logits from an independent PyTorch implementation.</summary>
public class VitFixtureTests
{
    static string Dir => SharedData.Fixture("vit-tiny");

    public static Tensor PixelValues()
    {
        using var file = SafeTensorsFile.Open(Path.Combine(Dir, "pixel_values.safetensors"));
        return file.ReadFloat32("pixel_values");
    }

    static Tensor ExpectedLogits()
    {
        using var file = SafeTensorsFile.Open(Path.Combine(Dir, "expected_logits.safetensors"));
        return file.ReadFloat32("logits");
    }

    static Tensor Logits(TransformerModel model, Tensor pixels)
    {
        using var _ = no_grad();
        return model.Forward(pixels);
    }

    static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [SharedFact]
    public void Vit_fixture_logits_match_the_reference()
    {
        var model = HfCheckpoint.Load(Dir).Model;
        using var pixels = PixelValues();
        using var expected = ExpectedLogits();
        var logits = Logits(model, pixels);

        Assert.IsType<VitModel>(model);
        Assert.Equal([2L, 5], logits.shape);
        double diff = MaxDiff(logits, expected);
        Assert.True(diff < 1e-4, $"max abs logit difference {diff}");
    }

    [SharedFact]
    public void Vit_fixture_config_is_read_with_its_image_shape_and_labels()
    {
        var c = HfCheckpoint.Load(Dir).Model.Config;
        Assert.Equal((VitFamily.Descriptor, 48, 2, 4, 12, 96), (c.Family, c.Hidden, c.Layers, c.Heads, c.HeadDim, c.Ffn));
        // Vocab is text-only: the classifier has Labels outputs.
        Assert.Equal((16, 4, 3, 5, 0, 17), (c.ImageSize, c.PatchSize, c.Channels, c.Labels, c.Vocab, c.MaxPositions));
        Assert.Equal("class_3", c.LabelName(3));
        Assert.False(c.IsDecoder);
    }

    [SharedFact]
    public void Vit_parameter_count_formula_matches_the_model()
    {
        var model = HfCheckpoint.Load(Dir).Model;
        Assert.Equal(model.ParameterCount(), CloneTarget.ParameterCount(model.Config));
    }

    [SharedFact]
    public void Vit_load_save_load_is_bit_identical()
    {
        using var dir = new TempDir();
        var first = HfCheckpoint.Load(Dir).Model;
        HfCheckpoint.Save(first, dir["a"], ScalarType.Float32);
        var second = HfCheckpoint.Load(dir["a"]).Model;
        ModelAssert.BitIdentical(first, second);
        Assert.Equal(first.Config.Raw["id2label"]!.ToJsonString(), second.Config.Raw["id2label"]!.ToJsonString());
        Assert.Equal(first.Config.Raw["label2id"]!.ToJsonString(), second.Config.Raw["label2id"]!.ToJsonString());

        // And the saved file holds exactly the fixture's tensors, byte for byte.
        using var original = SafeTensorsFile.Open(Path.Combine(Dir, "model.safetensors"));
        using var saved = SafeTensorsFile.Open(dir["a/model.safetensors"]);
        Assert.Equal(original.Names.Order(StringComparer.Ordinal), saved.Names.Order(StringComparer.Ordinal));
        foreach (var name in original.Names)
            Assert.True(ModelAssert.BitEqual(original.ReadFloat32(name), saved.ReadFloat32(name)), name);
    }

    [SharedFact]
    public void Vit_identity_clone_reproduces_the_logits_exactly()
    {
        var parent = HfCheckpoint.Load(Dir).Model;
        var child = Subcloner.Apply(parent, CloneMap.Identity(parent.Config));
        using var pixels = PixelValues();
        Assert.Equal(0, MaxDiff(Logits(parent, pixels), Logits(child, pixels)));
        ModelAssert.BitIdentical(parent, child);
    }
}
