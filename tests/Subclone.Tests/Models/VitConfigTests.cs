using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>model_type "vit": ViTConfig's fields and defaults, labels, validation and the config.json written back.</summary>
public class VitConfigTests
{
    static ModelConfig Parse(JsonObject json) => ModelConfig.Parse(json, "vit config.json");

    static JsonObject Minimal() => new()
    {
        ["model_type"] = "vit", ["hidden_size"] = 16, ["num_attention_heads"] = 4, ["num_hidden_layers"] = 2, ["intermediate_size"] = 24,
    };

    [Fact]
    public void Vit_absent_fields_take_ViTConfig_defaults()
    {
        var c = Parse(Minimal());
        Assert.Equal((224, 16, 3, 2, 0), (c.ImageSize, c.PatchSize, c.Channels, c.Labels, c.Vocab));  // no vocabulary: Labels outputs
        Assert.Equal(14 * 14 + 1, c.MaxPositions);
        Assert.Equal((1e-12, "gelu", true, 4), (c.NormEps, c.Activation, c.AttentionBias, c.HeadDim));
        Assert.Equal("ViTForImageClassification", c.ArchitectureName);
        Assert.Equal("LABEL_1", c.LabelName(1));
    }

    [Fact]
    public void Vit_id2label_decides_the_label_count_over_num_labels()
    {
        var json = TinyModels.VitConfig();
        json["num_labels"] = 7;
        var c = Parse(json);
        Assert.Equal(3, c.Labels);
        Assert.Equal("two", c.LabelName(2));

        var counted = Minimal();
        counted["num_labels"] = 6;
        Assert.Equal(6, Parse(counted).Labels);
    }

    [Fact]
    public void Vit_config_json_round_trips_shape_labels_and_unmodelled_fields()
    {
        var json = TinyModels.VitConfig();
        json["hidden_dropout_prob"] = 0.1;
        json["qkv_bias"] = false;
        json["encoder_stride"] = 2;
        var c = Parse(json) with { Hidden = 8, Heads = 2, Ffn = 12, Layers = 1 };
        var written = c.ToJson(ScalarType.Float32);
        var back = Parse(written);

        Assert.Equal((8, 2, 12, 1, 8, 2, 1, 3), (back.Hidden, back.Heads, back.Ffn, back.Layers, back.ImageSize, back.PatchSize, back.Channels, back.Labels));
        Assert.False(back.AttentionBias);
        Assert.Equal(json["id2label"]!.ToJsonString(), written["id2label"]!.ToJsonString());
        Assert.Equal(json["label2id"]!.ToJsonString(), written["label2id"]!.ToJsonString());
        Assert.Equal(0.1, written["hidden_dropout_prob"]!.GetValue<double>());
        Assert.Equal(2, written["encoder_stride"]!.GetValue<int>());
        Assert.Equal("float32", written["torch_dtype"]!.GetValue<string>());
    }

    [Fact]
    public void Vit_config_without_label_names_is_written_with_HFs_default_names()
    {
        var json = Minimal();
        json["num_labels"] = 3;
        var written = Parse(json).ToJson(ScalarType.Float32);
        Assert.Equal("""{"0":"LABEL_0","1":"LABEL_1","2":"LABEL_2"}""", written["id2label"]!.ToJsonString());
        Assert.Equal(2, written["label2id"]!["LABEL_2"]!.GetValue<int>());
        Assert.Equal(3, written["num_labels"]!.GetValue<int>());
        Assert.Equal(3, Parse(written).Labels);
    }

    [Theory]
    [InlineData("patch_size", 32, "field 'patch_size' (32) exceeds 'image_size' (8)")]
    [InlineData("image_size", 0, "field 'image_size' must be positive, got 0")]
    [InlineData("num_channels", -1, "field 'num_channels' must be positive, got -1")]
    [InlineData("num_attention_heads", 3, "field 'num_attention_heads' (3) does not divide 'hidden_size' (16)")]
    [InlineData("image_size", 131072, "gives 4294967296 patches, too many to count")]
    public void Vit_impossible_shapes_are_refused_naming_the_field(string field, int value, string message)
    {
        var json = TinyModels.VitConfig();
        json[field] = value;
        var error = Assert.Throws<CheckpointException>(() => Parse(json));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Vit_label_maps_that_do_not_name_every_class_are_refused()
    {
        var gap = TinyModels.VitConfig();
        gap["id2label"] = new JsonObject { ["0"] = "a", ["2"] = "c" };
        Assert.Contains("must have the keys 0..1", Assert.Throws<CheckpointException>(() => Parse(gap)).Message);

        var list = TinyModels.VitConfig();
        list["id2label"] = new JsonArray("a", "b");
        Assert.Contains("field 'id2label' must be an object", Assert.Throws<CheckpointException>(() => Parse(list)).Message);

        var none = Minimal();
        none["num_labels"] = 0;
        Assert.Contains("field 'num_labels' must be positive", Assert.Throws<CheckpointException>(() => Parse(none)).Message);
    }

    [Fact]
    public void Vit_without_qkv_bias_has_no_query_key_value_biases_and_still_slices()
    {
        var json = TinyModels.VitConfig();
        json["qkv_bias"] = false;
        var model = TransformerModel.Create(Parse(json));
        var names = model.state_dict().Keys.ToList();

        Assert.DoesNotContain("vit.encoder.layer.0.attention.attention.query.bias", names);
        Assert.Contains("vit.encoder.layer.0.attention.output.dense.bias", names);
        Assert.Equal(model.ParameterCount(), CloneTarget.ParameterCount(model.Config));
        var child = Subcloner.Apply(model, CloneMap.Identity(model.Config));
        ModelAssert.BitIdentical(model, child);
    }

    [Fact]
    public void Vit_forward_refuses_images_of_the_wrong_shape_and_masks()
    {
        var model = TinyModels.Vit();
        using var _ = no_grad();
        Assert.Contains("num_channels is 1", Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 3, 8, 8))).Message);
        Assert.Contains("image_size is 8", Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 1, 8, 6))).Message);
        Assert.Contains("float pixel values", Assert.Throws<ArgumentException>(() => model.Forward(zeros([1, 8], ScalarType.Int64))).Message);
        Assert.Throws<ArgumentException>(() => model.Forward(zeros(1, 1, 8, 8), ones(1, 17)));
        Assert.Equal([2L, 3], model.Forward(zeros(2, 1, 8, 8)).shape);
    }

    [Fact]
    public void Vit_random_initialisation_follows_HF()
    {
        var model = (VitModel)TinyModels.Vit();
        var layer = model.vit.encoder.layer[0];
        Assert.True(layer.layernorm_before.weight.eq(1).all().item<bool>());
        Assert.True(layer.attention.attention.query.bias!.eq(0).all().item<bool>());
        Assert.True(model.classifier.bias!.eq(0).all().item<bool>());
        double std = model.vit.encoder.layer[1].intermediate.dense.weight.std().item<float>();
        Assert.InRange(std, 0.015, 0.025);
        Assert.False(model.vit.embeddings.cls_token.eq(0).all().item<bool>(), "cls_token is drawn, not zero");
    }
}
