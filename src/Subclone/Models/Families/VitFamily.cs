using System.Globalization;
using System.Text.Json.Nodes;
using static Subclone.Models.Families.ParameterRow;

namespace Subclone.Models.Families;

/// <summary>ViTForImageClassification: patch convolution, [CLS] token, learned positions, a linear classifier.</summary>
public static class VitFamily
{
    static readonly AxisRole W = AxisRole.Whole, R = AxisRole.Residual, H = AxisRole.Heads, F = AxisRole.Ffn;
    static bool Always(ModelConfig c) => true;
    static bool QkvBias(ModelConfig c) => c.AttentionBias;
    static ParameterInit Normal(ModelConfig c) => ParameterInit.Normal(c.InitializerRange);
    const string Block = "vit.encoder.layer.{layer}.";

    /// <summary>ViT's descriptor.</summary>
    public static ModelFamily Descriptor { get; } = new()
    {
        Name = "ViT", ModelTypes = ["vit"], ClassName = "ViTForImageClassification", Kind = FamilyKind.ImageClassifier,
        Keys = ConfigKeys.Standard with { Vocab = null, MaxPositions = null },
        BlockPrefix = Block,
        LearnedPositions = true,
        Parameters =
        [
            new("vit.embeddings.cls_token", c => [1, 1, c.Hidden], new([W, W, R]), Normal),
            new("vit.embeddings.position_embeddings", c => [1, c.Patches + 1, c.Hidden], new([W, W, R]), Normal),
            // The convolution's output channels are residual dims; its input (pixels) is never cut, so no scaling.
            new("vit.embeddings.patch_embeddings.projection.weight", c => [c.Hidden, c.Channels, c.PatchSize, c.PatchSize], new([R, W, W, W]), Normal),
            Vector("vit.embeddings.patch_embeddings.projection.bias", R, ParameterInit.Zero),
            .. Linear(Block + "attention.attention.query", H, R, QkvBias),
            .. Linear(Block + "attention.attention.key", H, R, QkvBias),
            .. Linear(Block + "attention.attention.value", H, R, QkvBias),
            .. Linear(Block + "attention.output.dense", R, H, Always),
            .. Linear(Block + "intermediate.dense", F, R, Always),
            .. Linear(Block + "output.dense", R, F, Always),
            .. Norm(Block + "layernorm_before", withBias: true),
            .. Norm(Block + "layernorm_after", withBias: true),
            .. Norm("vit.layernorm", withBias: true),
            Head("classifier.weight", c => c.Labels),
            new("classifier.bias", c => [c.Labels], new([W]), _ => ParameterInit.Zero),
        ],
        Parse = Parse, WriteConfig = Write, CanonicalName = (_, key) => CanonicalKey(key), Validate = ValidateImage,
        Create = (c, _) => new VitModel(c),
    };

    /// <summary>ViTConfig's fields, with its defaults where a field is absent (save_pretrained writes them all).</summary>
    static ModelConfig Parse(ConfigReader r, ModelFamily family)
    {
        int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads");
        int image = r.OptionalInt("image_size") ?? 224, patch = r.OptionalInt("patch_size") ?? 16;
        int labels = LabelCount(r);
        int side = patch > 0 ? image / patch : 0;
        // side² + 1 positions must be an int; 65536² would wrap to 0 and describe a model with no patches.
        if ((long)side * side + 1 > int.MaxValue)
            throw new CheckpointException(r.Path, $"field 'image_size' ({image}) / 'patch_size' ({patch}) gives {(long)side * side} patches, too many to count");
        return new ModelConfig
        {
            Family = family, ModelType = r.String("model_type"),
            Hidden = hidden, Layers = r.Int("num_hidden_layers"), Heads = heads, KvHeads = heads,
            HeadDim = heads > 0 && hidden % heads == 0 ? hidden / heads : 0,
            Ffn = r.Int("intermediate_size"),
            ImageSize = image, PatchSize = patch, Channels = r.OptionalInt("num_channels") ?? 3,
            Labels = labels,
            MaxPositions = side * side + 1,
            NormEps = r.OptionalDouble("layer_norm_eps") ?? 1e-12,
            Activation = r.OptionalString("hidden_act") ?? "gelu",
            AttentionBias = r.OptionalBool("qkv_bias") ?? true, MlpBias = true,
        };
    }

    /// <summary>As PretrainedConfig does: id2label's size wins over num_labels, which defaults to 2.</summary>
    static int LabelCount(ConfigReader r)
    {
        if (r.Json["id2label"] is not { } node) return r.OptionalInt("num_labels") ?? 2;
        if (node is not JsonObject names)
            throw new CheckpointException(r.Path, $"field 'id2label' must be an object of class index → name, got {node.ToJsonString()}");
        // The classifier's rows are the classes 0..n-1; a gap or a non-numeric key leaves a row without a name.
        var expected = Enumerable.Range(0, names.Count).Select(i => i.ToString(CultureInfo.InvariantCulture));
        if (!names.Select(kv => kv.Key).Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)))
            throw new CheckpointException(r.Path, $"field 'id2label' must have the keys 0..{names.Count - 1}, got {string.Join(", ", names.Select(kv => kv.Key))}");
        return names.Count;
    }

    /// <summary>Checked before the shape so a bad image is named by its own field, not by the positions it implies.</summary>
    static void ValidateImage(ModelConfig c, string path)
    {
        void Positive(int value, string field)
        {
            if (value <= 0) throw new CheckpointException(path, $"field '{field}' must be positive, got {value}");
        }
        Positive(c.ImageSize, "image_size"); Positive(c.PatchSize, "patch_size"); Positive(c.Channels, "num_channels");
        Positive(c.Labels, "num_labels");
        if (c.PatchSize > c.ImageSize) throw new CheckpointException(path, $"field 'patch_size' ({c.PatchSize}) exceeds 'image_size' ({c.ImageSize})");
    }

    static void Write(ModelConfig c, JsonObject json)
    {
        json["hidden_size"] = c.Hidden; json["num_hidden_layers"] = c.Layers; json["num_attention_heads"] = c.Heads;
        json["intermediate_size"] = c.Ffn; json["image_size"] = c.ImageSize; json["patch_size"] = c.PatchSize;
        json["num_channels"] = c.Channels; json["layer_norm_eps"] = c.NormEps; json["hidden_act"] = c.Activation;
        json["qkv_bias"] = c.AttentionBias;
        // Names travel unchanged from the parent; a config built without them gets HF's defaults.
        if (json["id2label"] is not JsonObject names || names.Count != c.Labels)
        {
            json["id2label"] = new JsonObject(Enumerable.Range(0, c.Labels).Select(i =>
                KeyValuePair.Create(i.ToString(CultureInfo.InvariantCulture), (JsonNode?)$"LABEL_{i}")));
            json["label2id"] = new JsonObject(Enumerable.Range(0, c.Labels).Select(i => KeyValuePair.Create($"LABEL_{i}", (JsonNode?)i)));
        }
        if (json.ContainsKey("num_labels")) json["num_labels"] = c.Labels;
    }

    /// <summary>ViTModel checkpoints store the backbone without the "vit." prefix, and a pooler the
    /// classification model does not have; their classifier is still missing, and loading says so.</summary>
    static string? CanonicalKey(string fileKey)
    {
        if (fileKey.StartsWith("pooler.") || fileKey.StartsWith("vit.pooler.")) return null;
        if (fileKey.StartsWith("embeddings.") || fileKey.StartsWith("encoder.") || fileKey.StartsWith("layernorm.")) return "vit." + fileKey;
        return fileKey;
    }
}
